// The image and OS-profile rules of a virtual machine (part of compute.ts): platform images the emulator
// knows, reserved admin names, Azure's password rules (the password is validated, never stored or
// returned), Windows and Linux computer names. Rules: docs/emulator-services.md.
import { isObject } from "../core/common.js";
import { ArmError, type HandlerContext, type JsonObject } from "../types.js";
import { clone, compact, invalidParameter, optionalBoolean, optionalString, section } from "./service-common.js";

/**
 * Azure's reserved admin user names (Virtual Machines FAQ, "What are the username requirements").
 * Kept apart from the CLI's copy in config/rules.ts on purpose: the emulator plays Azure, and the tests that
 * check the CLI refuses these names before any call would pass against a shared table even if it were wrong.
 */
export const RESERVED_ADMIN_NAMES = [
  "administrator",
  "admin",
  "user",
  "user1",
  "test",
  "user2",
  "test1",
  "user3",
  "admin1",
  "1",
  "123",
  "a",
  "actuser",
  "adm",
  "admin2",
  "aspnet",
  "backup",
  "console",
  "david",
  "guest",
  "john",
  "owner",
  "root",
  "server",
  "sql",
  "support",
  "support_388945a0",
  "sys",
  "test2",
  "test3",
  "user4",
  "user5",
];

/** Passwords Azure refuses outright (Virtual Machines FAQ, "What are the password requirements"). */
export const DISALLOWED_PASSWORDS = ["abc@123", "iloveyou!", "P@$$w0rd", "P@ssw0rd", "P@ssword123", "Pa$$word", "pass@word1", "Password!", "Password1", "Password22"];

/** Platform images the emulator knows, by lower-cased `publisher:offer`: their SKUs. */
const PLATFORM_IMAGES: Record<string, string[]> = {
  "microsoftwindowsdesktop:windows-11": [
    "win11-21h2-ent",
    "win11-21h2-pro",
    "win11-21h2-avd",
    "win11-22h2-ent",
    "win11-22h2-pro",
    "win11-22h2-avd",
    "win11-23h2-ent",
    "win11-23h2-pro",
    "win11-23h2-avd",
    "win11-24h2-ent",
    "win11-24h2-pro",
    "win11-24h2-avd",
    "win11-25h2-ent",
    "win11-25h2-pro",
    "win11-25h2-avd",
  ],
  "microsoftwindowsdesktop:windows-10": ["win10-22h2-ent", "win10-22h2-pro", "win10-22h2-ent-g2", "win10-22h2-pro-g2", "win10-22h2-avd"],
  "microsoftwindowsserver:windowsserver": [
    "2016-datacenter",
    "2016-datacenter-gensecond",
    "2019-datacenter",
    "2019-datacenter-gensecond",
    "2022-datacenter",
    "2022-datacenter-g2",
    "2022-datacenter-azure-edition",
    "2025-datacenter",
    "2025-datacenter-g2",
    "2025-datacenter-azure-edition",
  ],
  "canonical:0001-com-ubuntu-server-jammy": ["22_04-lts", "22_04-lts-gen2"],
  "canonical:ubuntu-24_04-lts": ["server", "server-gen1"],
  "microsoft-dsvm:dsvm-win-2022": ["winserver-2022"],
  "microsoft-dsvm:ubuntu-2204": ["2204", "2204-gen2"],
};

const WINDOWS_PUBLISHERS = ["microsoftwindowsdesktop", "microsoftwindowsserver", "microsoft-dsvm:dsvm-win"];

const PASSWORD_RULES_WINDOWS =
  "The supplied password must be between 12-123 characters long and must satisfy at least 3 of password complexity requirements from the following:\r\n1) Contains an uppercase character\r\n2) Contains a lowercase character\r\n3) Contains a numeric digit\r\n4) Contains a special character\r\n5) Control characters are not allowed";
const PASSWORD_RULES_LINUX = PASSWORD_RULES_WINDOWS.replace("12-123", "6-72");

export function isWindows(storageProfile: JsonObject, osProfile: JsonObject): boolean {
  const osType = optionalString(section(storageProfile, "osDisk"), "osType");
  if (osType) return osType.toLowerCase() === "windows";
  if (isObject(osProfile.windowsConfiguration)) return true;
  if (isObject(osProfile.linuxConfiguration)) return false;
  const image = section(storageProfile, "imageReference");
  const key = `${optionalString(image, "publisher") ?? ""}:${optionalString(image, "offer") ?? ""}`.toLowerCase();
  return WINDOWS_PUBLISHERS.some((prefix) => key.startsWith(prefix));
}

export function checkImage(storageProfile: JsonObject): JsonObject | undefined {
  const image = section(storageProfile, "imageReference");
  if (Object.keys(image).length === 0) return undefined;
  if (optionalString(image, "id") || optionalString(image, "sharedGalleryImageId") || optionalString(image, "communityGalleryImageId")) return clone(image);
  const publisher = optionalString(image, "publisher") ?? "";
  const offer = optionalString(image, "offer") ?? "";
  const sku = optionalString(image, "sku") ?? "";
  const version = optionalString(image, "version") ?? "latest";
  const skus = PLATFORM_IMAGES[`${publisher}:${offer}`.toLowerCase()];
  if (!skus || !skus.includes(sku.toLowerCase()) || !(version === "latest" || /^\d+\.\d+\.\d+$/.test(version))) {
    throw new ArmError(
      404,
      "PlatformImageNotFound",
      `The platform image '${publisher}:${offer}:${sku}:${version}' is not available. Verify that all fields in the storage profile are correct. For more details about storage profile information, please refer to https://aka.ms/storageprofile`,
    );
  }
  return { publisher, offer, sku, version, exactVersion: version === "latest" ? "26100.2033.241004" : version };
}

function checkPassword(password: string, windows: boolean): void {
  const [min, max] = windows ? [12, 123] : [6, 72];
  const rules = windows ? PASSWORD_RULES_WINDOWS : PASSWORD_RULES_LINUX;
  if (DISALLOWED_PASSWORDS.includes(password)) throw invalidParameter("The supplied password is not allowed. Choose a password that is not a commonly used one.", "adminPassword");
  // Azure refuses control characters in a password (biome.jsonc allows the regex in this file).
  if (/[\u0000-\u001f\u007f]/.test(password)) throw invalidParameter(rules, "adminPassword");
  const classes = [/[A-Z]/, /[a-z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((pattern) => pattern.test(password)).length;
  if (password.length < min || password.length > max || classes < 3) throw invalidParameter(rules, "adminPassword");
}

export function checkOsProfile(ctx: HandlerContext, osProfile: JsonObject, windows: boolean, creating: boolean, previous: JsonObject): JsonObject {
  if (!creating) {
    // osProfile is set at creation; later PUTs may only repeat it (without the password).
    for (const key of ["adminUsername", "computerName"]) {
      const given = optionalString(osProfile, key);
      if (given !== undefined && given !== optionalString(previous, key)) {
        throw new ArmError(409, "PropertyChangeNotAllowed", `Changing property 'osProfile.${key}' is not allowed.`, [
          { code: "PropertyChangeNotAllowed", message: `Changing property 'osProfile.${key}' is not allowed.`, target: `osProfile.${key}` },
        ]);
      }
    }
    return clone(previous);
  }
  const adminUsername = optionalString(osProfile, "adminUsername");
  if (!adminUsername) throw invalidParameter("Required parameter 'adminUsername' is missing (null).", "adminUsername");
  const maxUser = windows ? 20 : 64;
  if (
    RESERVED_ADMIN_NAMES.includes(adminUsername.toLowerCase()) ||
    adminUsername.length > maxUser ||
    adminUsername.endsWith(".") ||
    /[\\/"[\]:|<>+=;,?*@&\s]/.test(adminUsername)
  ) {
    throw invalidParameter("The Admin Username specified is not allowed.", "adminUsername");
  }
  const computerName = optionalString(osProfile, "computerName") ?? ctx.name;
  if (windows && (computerName.length > 15 || /^\d+$/.test(computerName) || /[`~!@#$%^&*()=+_[\]{}\\|;:.'",<>/?]/.test(computerName))) {
    throw invalidParameter(
      "Windows computer name cannot be more than 15 characters long, be entirely numeric, or contain the following characters: ` ~ ! @ # $ % ^ & * ( ) = + _ [ ] { } \\ | ; : . ' \" , < > / ?.",
      "computerName",
    );
  }
  if (!windows && (computerName.length > 64 || !/^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(computerName))) {
    throw invalidParameter(
      "Linux host name cannot exceed 64 characters in length or contain the following characters: ` ~ ! @ # $ % ^ & * ( ) = + _ [ ] { } \\ | ; : ' \" , < > / ?.",
      "computerName",
    );
  }
  const password = optionalString(osProfile, "adminPassword");
  const linux = section(osProfile, "linuxConfiguration");
  const sshOnly = !windows && optionalBoolean(linux, "disablePasswordAuthentication") === true;
  if (password === undefined && !sshOnly) throw invalidParameter("Required parameter 'adminPassword' is missing (null).", "adminPassword");
  if (password !== undefined) checkPassword(password, windows);
  // adminPassword is write-only: it is validated above and never stored, logged or returned.
  const windowsConfiguration = section(osProfile, "windowsConfiguration");
  return compact({
    computerName,
    adminUsername,
    windowsConfiguration: windows
      ? compact({
          provisionVMAgent: optionalBoolean(windowsConfiguration, "provisionVMAgent") ?? true,
          enableAutomaticUpdates: optionalBoolean(windowsConfiguration, "enableAutomaticUpdates") ?? true,
          timeZone: optionalString(windowsConfiguration, "timeZone"),
          patchSettings: isObject(windowsConfiguration.patchSettings) ? clone(windowsConfiguration.patchSettings) : { patchMode: "AutomaticByOS", assessmentMode: "ImageDefault" },
        })
      : undefined,
    linuxConfiguration: windows ? undefined : compact({ disablePasswordAuthentication: sshOnly, ssh: isObject(linux.ssh) ? clone(linux.ssh) : undefined, provisionVMAgent: true }),
    secrets: [],
    allowExtensionOperations: optionalBoolean(osProfile, "allowExtensionOperations") ?? true,
    requireGuestProvisionSignal: true,
  });
}

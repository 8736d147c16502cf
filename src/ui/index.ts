// The UI layer's public surface: renderers (IoHost), plan/summary/diagram views, prompts and the wizard.
export { createIoHost, chooseMode, buildResult, nonInteractiveError } from "./renderers.js";
export { renderPlan, groupPlan, planSection, PLAN_SECTIONS } from "./plan.js";
export type { PlanGroup, PlanSectionId } from "./plan.js";
export { renderSummary } from "./summary.js";
export type { SummaryInput } from "./summary.js";
export { renderDiagram } from "./diagram.js";
export { createInquirerBackend, createScriptedPromptBackend, askQuestion, interruptedError } from "./prompt.js";
export type { ScriptedAnswer, ScriptedPromptBackend, ScriptedPromptLog } from "./prompt.js";
export { formatDuration, portalLink, hasControlCharacters } from "./format.js";
export type { InitResult, ResultDocument, ResultError, ResultCommand, IoHostOptions, PromptBackend, RunRecord, UiHost, PlanEstimate } from "./types.js";
export { runWizard, subnetDefaults, GLOBAL_NAME_KINDS, FIELD_LABELS, offerResume, describeSavedDeployment } from "./wizard.js";
export type { WizardDeps, WizardResult, GlobalNameKind, NameAvailability, DeletedKeyVault, SavedDeployment, ResumeChoice } from "./wizard.js";

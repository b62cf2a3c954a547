/** A resource's work failed for a reason already worded for the user (the engine reports its message as is). */
export class OperationFailed extends Error {}

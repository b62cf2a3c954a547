export interface GeneratedCase {
  file: string;
  text: string;
  /** The field path; '' for the whole file. */
  path: string;
  /** A part of the message. */
  message: string;
}
export function generatedCases(): GeneratedCase[];

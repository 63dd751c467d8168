export interface User {
  userId: string;
  email: string;
  displayName: string;
  createdAt: Date;
}

export interface UserWithCredentials extends User {
  passwordHash: string;
}

/** Emails are compared case-insensitively and stored in one canonical form. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export const PASSWORD_RULES = { minLength: 10, maxLength: 200 } as const;
export const DISPLAY_NAME_RULES = { minLength: 1, maxLength: 80 } as const;

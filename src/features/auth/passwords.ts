import { hash, verify } from '@node-rs/argon2';

// @node-rs/argon2's Algorithm is a const enum, which isolated modules cannot read: 2 is Argon2id.
const argon2id = 2;

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hashed: string, password: string): Promise<boolean>;
}

/** argon2id; memory cost from config (OWASP's 19 MiB by default, less in tests). */
export function createPasswordHasher(memoryKib: number): PasswordHasher {
  const options = { algorithm: argon2id, memoryCost: memoryKib, timeCost: 2, parallelism: 1 };
  return {
    hash: (password) => hash(password, options),
    verify: (hashed, password) => verify(hashed, password).catch(() => false),
  };
}

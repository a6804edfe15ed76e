export * from './errors';
export * from './ca-pin';
export * from './pinned-ca';
export * from './fetch-ca';
export * from './csr';
export * from './credentials';
export * from './renewal';

export * from './errors';
export * from './keyring';
export * from './envelope';
export * from './derive-key';
export * from './server-secret';
export * from './default-keyring';
export * from './reencrypt';

export * from '../../scripts/lib/self-signed-certificate';

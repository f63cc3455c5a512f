export * from '../../scripts/lib/velocity';

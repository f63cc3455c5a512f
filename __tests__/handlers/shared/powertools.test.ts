import { createPowertools } from '../../../src/handlers/shared/powertools';
import { captureOutput, type CapturedOutput } from '../../support/output';

/**
 * Which setting decides the handlers' log level, with the real Powertools Logger: the runbook's
 * "debug for a while" step depends on it.
 */
describe('createPowertools: the log level', () => {
  const saved = { ...process.env };
  let output: CapturedOutput;

  beforeEach(() => {
    output = captureOutput();
    process.env.POWERTOOLS_SERVICE_NAME = 'validator';
    delete process.env.AWS_LAMBDA_LOG_LEVEL;
    delete process.env.POWERTOOLS_LOG_LEVEL;
  });
  afterEach(() => {
    output.restore();
    process.env = { ...saved };
  });

  const debugLines = () => {
    const { logger } = createPowertools();
    logger.debug('one record');
    logger.info('the summary');
    return output.logs().map((line) => `${line.level} ${line.message}`);
  };

  it('is INFO by default: a record’s DEBUG line is not written', () => {
    expect(debugLines()).toEqual(['INFO the summary']);
  });

  it('follows POWERTOOLS_LOG_LEVEL where Lambda sets no level', () => {
    process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
    expect(debugLines()).toEqual(['DEBUG one record', 'INFO the summary']);
  });

  it('follows Lambda’s application log level (AWS_LAMBDA_LOG_LEVEL) over POWERTOOLS_LOG_LEVEL, either way', () => {
    process.env.AWS_LAMBDA_LOG_LEVEL = 'DEBUG';
    process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
    expect(debugLines()).toEqual(['DEBUG one record', 'INFO the summary']);
    output.clear();
    process.env.AWS_LAMBDA_LOG_LEVEL = 'INFO';
    process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
    expect(debugLines().filter((line) => line.startsWith('DEBUG') || line.startsWith('INFO'))).toEqual(['INFO the summary']);
  });
});

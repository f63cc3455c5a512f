/** The executable's entry point in-process: it runs the program on process.argv and sets the exit code. */
test('bin runs the CLI on the process arguments and sets the exit code', async () => {
  const argv = process.argv;
  const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  process.argv = [process.execPath, 'webhook-pipeline', '--version'];
  try {
    jest.isolateModules(() => {
      // The entry point runs on load; isolateModules needs a synchronous require to load it afresh.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require('../../src/cli/bin');
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(process.exitCode).toBe(0);
    expect(write).toHaveBeenCalledWith(expect.stringMatching(/^\d+\.\d+\.\d+\n$/));
    expect(process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED).toBe('true');
    // A closed pipe is not an error worth a trace; anything else still is.
    expect(() => process.stdout.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }))).not.toThrow();
    expect(() => process.stdout.emit('error', Object.assign(new Error('other'), { code: 'EIO' }))).toThrow('other');
  } finally {
    process.argv = argv;
    process.exitCode = undefined;
    write.mockRestore();
  }
});

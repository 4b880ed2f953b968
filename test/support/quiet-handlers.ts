/**
 * Imported first by tests that load the handlers in-process: their logs and metrics would otherwise
 * interleave with the test report (the handlers print JSON lines to stdout, as they do in Lambda).
 * Failures show up as failing assertions; set POWERTOOLS_LOG_LEVEL to see the logs too.
 */
process.env.POWERTOOLS_LOG_LEVEL ??= "CRITICAL";
process.env.POWERTOOLS_METRICS_DISABLED ??= "true";

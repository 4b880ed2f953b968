/**
 * serverless's side of src/stack-names.ts (loaded through tsx, so the checks are the module's own):
 *   - the variable `${stackNames:stageUnderscored}` (resources/stack.yml's Glue database name), which
 *     refuses a stage name some derived name could not take;
 *   - before packaging (and so before every deploy), the stage's names checked for its region, and the
 *     stage refused while it must be fully configured (staging, prod, `production: true`) and a
 *     parameter still holds a placeholder. Each failure names the stage or the parameter.
 */
const { require: requireTypeScript } = require("tsx/cjs/api");

const names = requireTypeScript("../../src/stack-names.ts", __filename);

class StackNamesPlugin {
  constructor(serverless, options) {
    this.serverless = serverless;
    this.options = options;
    // A stage given on the command line is refused here once, rather than at every name derived from it.
    if (options.stage !== undefined) this.guard(() => names.checkStageName(options.stage));
    this.configurationVariablesSources = {
      stackNames: {
        resolve: async ({ address, options: cli, resolveConfigurationProperty }) => {
          if (address !== "stageUnderscored") {
            throw new serverless.classes.Error(
              `\${stackNames:${address}}: the only address is stageUnderscored`,
            );
          }
          const stage = cli.stage ?? (await resolveConfigurationProperty(["provider", "stage"])) ?? "dev";
          this.guard(() => names.checkStageName(stage));
          return { value: names.underscoredStage(stage) };
        },
      },
    };
    const check = () => this.check();
    this.hooks = { "before:package:initialize": check, "before:deploy:deploy": check };
  }

  check() {
    const provider = this.serverless.getProvider("aws");
    const stage = provider.getStage();
    // The account is not known without an AWS call; any 12 digits give the names their deployed length.
    this.guard(() => names.stackNames({ stage, region: provider.getRegion(), accountId: "000000000000" }));
    const configured = this.serverless.configurationInput.params ?? {};
    const params = {
      ...configured.default,
      ...configured[stage],
      ...this.guard(() => names.parseCliParams(this.options.param ?? [])),
    };
    this.guard(() => names.checkStageParams(stage, params));
  }

  /** Runs `action`, turning the module's errors into serverless's, which print without a stack trace. */
  guard(action) {
    try {
      return action();
    } catch (error) {
      if (error instanceof names.StackNameError) throw new this.serverless.classes.Error(error.message);
      throw error;
    }
  }
}

module.exports = StackNamesPlugin;

/** The AWS sink in its own process: reports its endpoint over IPC, runs until stopped. */
import { startSink } from "./lib/sink";

startSink().then(({ endpoint }) => process.send?.({ endpoint }));

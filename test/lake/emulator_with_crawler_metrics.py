"""moto's server with Glue's GetCrawlerMetrics, which moto does not implement (it answers 500).

Run by the emulator's Python in place of `moto_server` (conftest.moto_server(crawler_metrics=True)),
for the DAG run on the AWS engine: GlueCrawlerOperator reads a finished crawl's metrics. The metrics
are those of a crawl that changed nothing; everything else is moto's.
"""

from __future__ import annotations

import sys

from moto.core.responses import ActionResult
from moto.glue.responses import GlueResponse
from moto.server import main


def get_crawler_metrics(self: GlueResponse) -> ActionResult:
    names = self.parameters.get("CrawlerNameList") or list(self.glue_backend.crawlers)
    metrics = [
        {
            "CrawlerName": self.glue_backend.get_crawler(name).name,
            "TimeLeftSeconds": 0.0,
            "StillEstimating": False,
            "LastRuntimeSeconds": 0.0,
            "MedianRuntimeSeconds": 0.0,
            "TablesCreated": 0,
            "TablesUpdated": 0,
            "TablesDeleted": 0,
        }
        for name in names
    ]
    return ActionResult({"CrawlerMetricsList": metrics})


GlueResponse.get_crawler_metrics = get_crawler_metrics  # type: ignore[attr-defined]

if __name__ == "__main__":
    sys.exit(main())

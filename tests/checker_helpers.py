"""What the checker tests of every lesson share: run a check on an answer and read the line it printed."""


def printed(capsys) -> str:
    return capsys.readouterr().out


def rejected(check, answer, label: str, *fragments: str, hint: str | None = None, capsys) -> str:
    """Assert that ``check(answer)`` fails with a ✘ line for ``label`` holding every fragment (and ``hint`` after
    "hint:"); return what it printed."""
    assert not check(answer)
    out = capsys.readouterr().out
    assert out.startswith(f"✘ {label} "), out
    for fragment in fragments:
        assert fragment in out, out
    if hint is not None:
        assert "hint:" in out and hint in out.split("hint:")[1], out
    return out

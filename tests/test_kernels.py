"""The CPU-kernel matrix: which capabilities it runs, and a summary that cannot pass silently."""

from gradflow_course.kernels import Run, capabilities_up_to, run_matrix, summary


def test_capabilities_climb_from_default_to_the_cpu_best():
    assert capabilities_up_to("AVX512") == ["default", "avx2", "avx512"]
    assert capabilities_up_to("AVX2") == ["default", "avx2"]
    assert capabilities_up_to("DEFAULT") == ["default"]
    assert capabilities_up_to("SVE256") == ["default", "sve256"]


def test_a_capability_torch_does_not_honour_is_skipped_not_run():
    ran = []
    runs = run_matrix(["default", "avx512"], runner=lambda c: ran.append(c) or 0,
                      probe=lambda c: "default")
    assert ran == ["default"]
    assert runs[1].outcome.startswith("skipped")


def test_after_make_test_the_best_kernel_is_reported_covered_not_run_again():
    ran = []
    runs = run_matrix(["default", "avx2", "avx512"], runner=lambda c: ran.append(c) or 0, probe=lambda c: c,
                      covered="avx512")
    assert ran == ["default", "avx2"]
    text, code = summary(runs, required=["avx512"])
    assert code == 0 and "covered: default, avx2, avx512" in text and "make test ran it" in text


def test_a_failing_kernel_fails_the_whole_run():
    runs = run_matrix(["default", "avx2"], runner=lambda c: 1 if c == "avx2" else 0, probe=lambda c: c)
    text, code = summary(runs, required=[])
    assert code == 1 and "avx2" in text and "failed (exit code 1)" in text


def test_all_green_passes_and_names_what_it_covered():
    text, code = summary([Run("default", "passed"), Run("avx2", "passed"), Run("avx512", "passed")], [])
    assert code == 0 and "covered: default, avx2, avx512" in text and "WARNING" not in text


def test_default_only_says_so_loudly():
    text, code = summary([Run("default", "passed")], required=[])
    assert code == 0 and "WARNING: only the default" in text


def test_a_required_kernel_that_was_not_covered_fails():
    text, code = summary([Run("default", "passed"), Run("avx512", "skipped: torch ran 'default' instead")],
                         required=["avx512"])
    assert code == 1 and "not covered here: avx512" in text



def test_test_torch_drops_exactly_the_pins_the_new_torch_brings():
    from gradflow_course.torch_version import constraints_without, requirement_name

    assert requirement_name("Jinja2==3.1.6") == "jinja2"
    assert requirement_name("typing_extensions==4.15.0") == "typing-extensions"
    text = "# header\ntorch==2.13.0\nsympy==1.14.0\nJinja2==3.1.6\nnbval==0.11.0\n"
    assert constraints_without({"torch", "sympy", "jinja2"}, text) == "nbval==0.11.0\n"

"""The marks a solution notebook carries, read by the build, the lint rules and the minutes estimate."""

#: an answer sits between these two lines in a solution's code cell; the build replaces it by its stub
BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
#: a line of the stub the learner gets (the build keeps it without this prefix)
STUB = "# STUB:"
#: cell tags: a solution-only cell (dropped from the lesson), a reveal cell (collapsed in the lesson)
SOLUTION_TAG = "solution"
REVEAL_TAG = "reveal"
#: the optional part at a lesson's end: sections whose `##` heading starts with this (the minutes estimate
#: leaves them out of the core; lint checks they come last)
GOING_FURTHER = "Going further"

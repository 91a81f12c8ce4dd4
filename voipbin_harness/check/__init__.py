"""``check``'s orchestration: which suites run with which options and budget (``plan``), each in its
own process stopped gracefully with partial results kept (``runner``, ``session``), and the live
progress display (``progress``). Judging and rendering the results is ``report``'s job."""

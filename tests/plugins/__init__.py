"""pytest fixtures shared by the test suite, one module per concern (imported by conftest)."""

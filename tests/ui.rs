//! Compile errors: every invalid use of the macros is an error that points at the
//! offending tokens and says what is expected. Snapshots live in `tests/ui/*.stderr`;
//! regenerate them with `TRYBUILD=overwrite cargo test --test ui` and read the diff.

#[test]
fn compile_errors() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}

#[backstop::retry(max_elapsed = 99999999999999999999h)]
fn fetch() -> std::io::Result<()> {
    Ok(())
}

#[backstop::retry(backoff = constant(0.5ns))]
fn too_fine() -> std::io::Result<()> {
    Ok(())
}

fn main() {
    fetch().unwrap();
    too_fine().unwrap();
}

use backstop::retry;

#[retry(atempts = 3)]
fn fetch() -> std::io::Result<()> {
    Ok(())
}

fn main() {
    // The fn is still emitted: this call compiles.
    fetch().unwrap();
}

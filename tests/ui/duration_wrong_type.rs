const LIMIT: u64 = 5;

#[backstop::retry(max_elapsed = LIMIT)]
fn fetch() -> std::io::Result<()> {
    Ok(())
}

fn main() {
    fetch().unwrap();
}

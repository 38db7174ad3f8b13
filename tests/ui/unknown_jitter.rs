#[backstop::retry(jitter = ful)]
fn fetch() -> std::io::Result<()> {
    Ok(())
}

#[backstop::retry(jitter = random)]
fn far() -> std::io::Result<()> {
    Ok(())
}

fn main() {
    fetch().unwrap();
    far().unwrap();
}

#[backstop::retry(colour = "blue")]
fn fetch() -> std::io::Result<()> {
    Ok(())
}

fn main() {
    fetch().unwrap();
}

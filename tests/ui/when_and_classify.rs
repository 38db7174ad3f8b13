use backstop::Classification;

#[backstop::retry(when = |_| true, classify = |_| Classification::Transient)]
fn fetch() -> Result<(), String> {
    Ok(())
}

fn main() {
    fetch().unwrap();
}

use backstop::{Classification, Retryable, retry};
use std::cell::Cell;

#[derive(Debug, PartialEq)]
struct E(bool);
impl Retryable for E {
    fn classify(&self) -> Classification {
        Classification::from_bool(self.0)
    }
}

struct S {
    n: Cell<u32>,
    m: u32,
}

impl S {
    #[retry(attempts = 4, backoff = constant(0ms))]
    fn get(&self, x: u32, s: &str, (a, b): (u8, u8), mut v: Vec<u8>) -> Result<u32, E> {
        v.push(a + b);
        self.n.set(self.n.get() + 1);
        if self.n.get() < 3 {
            return Err(E(true));
        }
        let _ = s;
        Ok(x + v.len() as u32)
    }

    #[retry(attempts = 4, backoff = constant(1s), jitter = none)]
    async fn bump(&mut self) -> Result<u32, E> {
        self.m += 1;
        if self.m < 3 {
            Err(E(true))?
        }
        Ok(self.m)
    }
}

#[test]
fn smoke() {
    let s = S {
        n: Cell::new(0),
        m: 0,
    };
    assert_eq!(s.get(1, "x", (1, 2), vec![]), Ok(2));
}

#[tokio::test(start_paused = true)]
async fn smoke_async() {
    let mut s = S {
        n: Cell::new(0),
        m: 0,
    };
    let t = tokio::time::Instant::now();
    assert_eq!(s.bump().await, Ok(3));
    assert_eq!(t.elapsed(), std::time::Duration::from_secs(2));
}

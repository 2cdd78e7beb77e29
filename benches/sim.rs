//! The simulated tenant as a load target: start-up time at 1,000 and 100,000 users,
//! paging the 100,000-member nested group, and request rates over loopback — reads and
//! writes with concurrency 16, without latency and with 50 ms per request.
//! Run: `cargo bench --bench sim` (prints figures; no timed assertions).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use mfa_cutover::sim::{Sim, SimConfig, group_names};
use serde_json::{Value, json};

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

async fn start(users: usize, latency: Duration) -> Res<(Sim, Duration)> {
    let t0 = Instant::now();
    let sim = Sim::start(SimConfig {
        users,
        latency,
        ..Default::default()
    })
    .await?;
    Ok((sim, t0.elapsed()))
}

/// `n` requests from `concurrency` workers; `make(i)` builds request `i`.
async fn rate<F>(http: &reqwest::Client, n: usize, concurrency: usize, make: F) -> Res<(f64, usize)>
where
    F: Fn(&reqwest::Client, usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let make = Arc::new(make);
    let next = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (http, make, next, failed) = (http.clone(), make.clone(), next.clone(), failed.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                match make(&http, i).send().await {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                    }
                    _ => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    Ok((
        n as f64 / t0.elapsed().as_secs_f64(),
        failed.load(Ordering::Relaxed),
    ))
}

async fn run() -> Res<()> {
    let t0 = Instant::now();
    let n = mfa_cutover::datafile::sample::Population::new(1, 100_000)
        .people()
        .filter(|p| !p.upn.is_empty())
        .count();
    println!(
        "generating the {n} people alone: {:.1} ms",
        t0.elapsed().as_secs_f64() * 1e3
    );
    for users in [1_000, 100_000] {
        let (sim, took) = start(users, Duration::ZERO).await?;
        println!(
            "start-up with {users:>7} people: {:>7.1} ms ({} Entra users)",
            took.as_secs_f64() * 1e3,
            sim.inspect(|t| t.user_count())
        );
        sim.shutdown().await;
    }

    let (sim, _) = start(100_000, Duration::ZERO).await?;
    let http = reqwest::Client::new();
    let (url, token) = (sim.url().to_string(), sim.token().to_string());
    let group = sim.inspect(|t| t.group(group_names::MIGRATION).map(|g| g.id()));
    let group = group.ok_or("no migration group")?;
    let t0 = Instant::now();
    let mut next = Some(format!(
        "{url}/v1.0/groups/{group}/transitiveMembers?$select=id,userPrincipalName&$top=999"
    ));
    let (mut pages, mut members) = (0, 0);
    while let Some(link) = next.take() {
        let v: Value = http
            .get(&link)
            .bearer_auth(&token)
            .send()
            .await?
            .json()
            .await?;
        pages += 1;
        members += v["value"].as_array().map_or(0, Vec::len);
        next = v["@odata.nextLink"].as_str().map(str::to_string);
    }
    println!(
        "paging {members} transitive members in {pages} pages of 999: {:.0} ms",
        t0.elapsed().as_secs_f64() * 1e3
    );

    let upns: Arc<Vec<String>> = Arc::new(sim.inspect(|t| {
        t.users()
            .filter(|u| u.phones().is_empty())
            .take(20_000)
            .map(|u| u.upn().to_string())
            .collect()
    }));
    let (u, t) = (url.clone(), token.clone());
    let list = upns.clone();
    let (r, f) = rate(&http, 20_000, 16, move |h, i| {
        h.get(format!(
            "{u}/v1.0/users/{}/authentication/phoneMethods",
            list[i % list.len()]
        ))
        .bearer_auth(&t)
    })
    .await?;
    println!("reads  (list phones), concurrency 16, no latency: {r:>7.0} requests/s ({f} failed)");
    let (u, t) = (url.clone(), token.clone());
    let list = upns.clone();
    let (r, f) = rate(&http, 10_000, 16, move |h, i| {
        h.post(format!(
            "{u}/v1.0/users/{}/authentication/phoneMethods",
            list[i]
        ))
        .bearer_auth(&t)
        .json(&json!({"phoneNumber": format!("+1 425{:07}", i), "phoneType": "mobile"}))
    })
    .await?;
    println!("writes (add a phone), concurrency 16, no latency: {r:>7.0} requests/s ({f} failed)");

    sim.set_latency(Duration::from_millis(50));
    let (u, t) = (url.clone(), token.clone());
    let list = upns.clone();
    let (r, f) = rate(&http, 2_000, 16, move |h, i| {
        h.post(format!(
            "{u}/v1.0/users/{}/authentication/phoneMethods",
            list[10_000 + i]
        ))
        .bearer_auth(&t)
        .json(&json!({"phoneNumber": format!("+1 206{:07}", i), "phoneType": "mobile"}))
    })
    .await?;
    println!(
        "writes (add a phone), concurrency 16, 50 ms latency: {r:>5.0} requests/s ({f} failed)"
    );
    let stats = sim.stats();
    println!(
        "sim counted {} requests, {} writes; write log holds {}",
        stats.requests,
        stats.writes,
        sim.inspect(|t| t.write_log().len())
    );
    sim.shutdown().await;
    Ok(())
}

fn main() -> Res<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run())
}

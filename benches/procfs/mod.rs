//! CPU time from /proc, for the benches (Linux).

/// User plus system CPU seconds recorded in a `/proc/.../stat` file (of a process or of one of
/// its threads); 0 when it cannot be read.
pub(crate) fn cpu_seconds(stat: &str) -> f64 {
    // Fields 14 and 15: user and system time in clock ticks (100 per second).
    let stat = std::fs::read_to_string(stat).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

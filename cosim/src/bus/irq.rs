//! The interrupt line observer.

/// Counts rising edges of a level interrupt and remembers when it rose.
#[derive(Debug, Default, Clone)]
pub struct IrqMonitor {
    level: bool,
    rises: u64,
    last_rise: Option<u64>,
}

impl IrqMonitor {
    pub fn new() -> Self {
        Self::default()
    }

    /// The line's value sampled before the edge of `cycle`.
    #[inline]
    pub fn update(&mut self, level: bool, cycle: u64) {
        if level && !self.level {
            self.rises += 1;
            self.last_rise = Some(cycle);
        }
        self.level = level;
    }

    pub fn level(&self) -> bool {
        self.level
    }
    /// Rising edges seen so far.
    pub fn rises(&self) -> u64 {
        self.rises
    }
    /// Cycle of the latest rising edge.
    pub fn last_rise(&self) -> Option<u64> {
        self.last_rise
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_rising_edges_only() {
        let mut m = IrqMonitor::new();
        for (c, l) in [false, true, true, false, true, false, false, true]
            .into_iter()
            .enumerate()
        {
            m.update(l, c as u64);
        }
        assert_eq!(m.rises(), 3);
        assert_eq!(m.last_rise(), Some(7));
        assert!(m.level());
    }
}

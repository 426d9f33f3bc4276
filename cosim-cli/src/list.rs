//! `cosim list`: the built-in scenarios, one line each.

use std::io::Write;

use clap::Args;

use crate::CliError;
use cosim::scenario::Scenario;

/// Options of `cosim list`.
#[derive(Debug, Clone, Args, Default)]
pub struct ListArgs {
    /// Print the scenarios as JSON (name, description and every field,
    /// `memory.platform` included).
    #[arg(long)]
    pub json: bool,
}

/// Writes the list to `out`.
pub fn execute(args: &ListArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let all = Scenario::builtins().map_err(|source| CliError::Scenario { source, flag: None })?;
    let text = if args.json {
        serde_json::to_string_pretty(&all).map_err(CliError::json(""))? + "\n"
    } else {
        let w = all.iter().map(|s| s.name.len()).max().unwrap_or(0);
        let sw = all
            .iter()
            .map(|s| s.traffic.size.to_string().len())
            .max()
            .unwrap_or(0);
        let mut t = String::new();
        for s in &all {
            t.push_str(&format!(
                "{:<w$}  {:<8} {:>5} x {:<sw$}  {:<9}  {}\n",
                s.name,
                format!("{:?}", s.traffic.direction).to_lowercase(),
                s.traffic.frames,
                s.traffic.size.to_string(),
                s.memory.platform().name(),
                s.description
            ));
        }
        t.push_str(
            "\n`cosim run <name>` runs one (options override its fields); `cosim run path/to/file.toml` runs a copy you edited.\n",
        );
        t
    };
    out.write_all(text.as_bytes()).map_err(CliError::Output)
}

/// `cosim list`.
pub fn run(args: &ListArgs) -> Result<(), CliError> {
    execute(args, &mut std::io::stdout().lock())
}

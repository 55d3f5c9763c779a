mod test_chart;
mod test_colour;
mod test_confirmations;
mod test_core;
mod test_help;
mod test_languages;
mod test_prompts;
mod test_shell;

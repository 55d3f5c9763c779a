mod test_core;
mod test_prompts;

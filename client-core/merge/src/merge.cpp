// placeholder until the merge implementation lands

// placeholder until the protocol implementation lands

import ArgumentParser

/// Options shared by every command that runs a model on text.
struct RunOptionsGroup: ParsableArguments {
    @Option(help: ArgumentHelp("Tokens per sentence including [CLS] and [SEP]; longer sentences are truncated.", valueName: "n"))
    var maxLength = 128

    @Option(help: ArgumentHelp("Sentences per forward pass (larger batches give larger, faster matrix products).", valueName: "n"))
    var batch = 32
}

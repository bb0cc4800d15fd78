import ArgumentParser
import Foundation
import QZooCore
import QZooPipeline
import QZooModels

struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the token ids qzoo feeds the model, one JSON array per line of text.",
        discussion: """
            Shows exactly what calibrate, embed and eval see: [CLS] ids [SEP], truncated to \
            --max-length. Useful to check a tokenizer against Hugging Face's.

            Example:
              qzoo tokenize all-MiniLM-L6-v2/ --data sentences.txt | head
            """)

    @Argument(help: "Model directory (or a checkpoint file) with tokenizer.json or vocab.txt beside it.")
    var model: String

    @Option(help: ArgumentHelp("Text file, one sentence per line (blank lines skipped).", valueName: "text"))
    var data: String

    @Option(help: ArgumentHelp("Tokens per sentence including [CLS] and [SEP].", valueName: "n"))
    var maxLength = 128

    func validate() throws {
        guard maxLength >= 2 else { throw ValidationError("--max-length must be at least 2") }
    }

    func run() throws {
        let directory = try ModelInput.directory(of: model)
        let tokenizer = try WordPieceTokenizer.load(directory: directory)
        let texts = try TextCorpus.load(data)
        var out = ""
        for line in texts.lines {
            out += "[" + tokenizer.encode(line, maxLength: maxLength).map(String.init).joined(separator: ",") + "]\n"
        }
        FileHandle.standardOutput.write(Data(out.utf8))
    }
}

import ArgumentParser
import Foundation
import QZooCore
import QZooPipeline

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a pipeline (a YAML DAG of passes) on a model; outputs go to --out, every stage is cached.",
        discussion: """
            A pipeline file names itself and lists stages. Each stage has an id, a pass, the ids \
            it needs, parameters under 'with', and optional 'targets'/'ignore' regexes choosing \
            tensors. Stages may branch (one quantizer feeding two exports) and join (a bundle \
            collecting them):

              name: w4-rtn-g128
              description: 4-bit round-to-nearest, groups of 128 columns
              stages:
                - {id: load, pass: load}
                - {id: quantize, pass: rtn, needs: [load], with: {bits: 4, group_size: 128}}
                - {id: qpack, pass: export, needs: [quantize], with: {format: qpack}}
                - {id: bundle, pass: bundle, needs: [qpack]}

            Passes:
            \(PassRegistry.standard.names.compactMap { name in PassRegistry.standard.passes[name].map { "  \(name): \($0.summary)" } }.joined(separator: "\n"))

            The whole file is checked before anything runs; errors read FILE:LINE: stage 'ID': \
            what is wrong. Stages that do not depend on each other run in parallel (-j). Every \
            stage's output is cached under a hash of its inputs, pass, parameters and qzoo's \
            version, so a second run reuses everything unchanged and says 'cached'; change one \
            parameter and only that stage and the ones after it run again.

            Outputs: a bundle stage writes OUT/FILE.tar.zst (default file: the pipeline's name); an \
            export stage that nothing needs writes the directory OUT/ID. A failed stage stops the \
            stages after it and nothing is written to OUT. See docs/pipelines.md.

            Examples:
              qzoo run pipelines/w4-rtn-g128.yaml --model all-MiniLM-L6-v2/ --out out/
              qzoo run pipelines/w8-rtn.yaml --model model.safetensors --out out/ --dry-run
            """)

    @Argument(help: "The pipeline file (YAML).")
    var pipeline: String

    @Option(help: "The model: a checkpoint file or a model directory (weights plus config.json, tokenizer files...).")
    var model: String

    @Option(help: "Where outputs go (created if missing).")
    var out: String

    @Option(help: ArgumentHelp("Stage cache (default: $QZOO_CACHE, else $XDG_CACHE_HOME/qzoo, else ~/.cache/qzoo).", valueName: "dir"))
    var cache: String?

    @Option(help: "The model's name in bundle manifests (default: the model folder's name).")
    var modelName: String?

    @Option(name: [.customShort("j"), .customLong("jobs")], help: "Stages run at the same time (default: the number of cores).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Print the plan (each stage cached, to run, or not needed; the outputs) and stop.")
    var dryRun = false

    @Flag(help: "Replace outputs in OUT that differ from this run's.")
    var force = false

    @Flag(help: "Print the run report as JSON on stdout.")
    var json = false

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("-j must be at least 1, got \(jobs)") }
    }

    func run() throws {
        let pipeline = try Pipeline.load(path: self.pipeline)
        let source = try ModelSource(path: model)
        let context = RunContext(model: source, modelName: modelName ?? defaultModelName(), pipelineName: pipeline.name, pipelineText: pipeline.text)
        let options = RunOptions(cacheDirectory: cache ?? Self.defaultCache(), outDirectory: out, jobs: jobs, dryRun: dryRun, force: force)
        let progress = RunProgress(interactive: Terminal.stderrIsTerminal && !json)
        let report = try PipelineRunner.run(pipeline, context: context, options: options, observer: dryRun ? nil : progress)
        progress.close()
        if json { print(report.json()) } else if dryRun { print(RunPlanText.render(report, pipeline: pipeline)) }
        if let failure = report.failure { throw failure }
        if !json && !dryRun { progress.summary(report) }
    }

    func defaultModelName() -> String {
        let trimmed = model.hasSuffix("/") ? String(model.dropLast()) : model
        let last = trimmed.split(separator: "/").last.map(String.init) ?? trimmed
        return last.hasSuffix(".safetensors") ? String(last.dropLast(".safetensors".count)) : last
    }

    static func defaultCache() -> String {
        let environment = ProcessInfo.processInfo.environment
        if let explicit = environment["QZOO_CACHE"], !explicit.isEmpty { return explicit }
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty { return xdg + "/qzoo" }
        return (environment["HOME"] ?? ".") + "/.cache/qzoo"
    }
}

/// `--dry-run`'s table: every stage with its pass, inputs, key and what the run would do.
enum RunPlanText {
    static func render(_ report: RunReport, pipeline: Pipeline) -> String {
        var cells = [["stage", "pass", "needs", "key", "plan"]]
        for (stage, outcome) in zip(pipeline.stages, report.stages) {
            let needs = stage.needs.map { pipeline.stages[$0].id }.joined(separator: ", ")
            cells.append([stage.id, stage.passName, needs.isEmpty ? "-" : needs, String(outcome.key.prefix(12)), outcome.status.rawValue])
        }
        let lines = ["\(pipeline.name): \(pipeline.description)", ""] + TextTable.render(cells, rightAligned: [])
            + ["", "outputs:"] + report.outputs.map { "  " + $0 }
        return lines.joined(separator: "\n")
    }
}

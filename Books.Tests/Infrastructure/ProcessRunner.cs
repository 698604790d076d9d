namespace Books.Tests.Infrastructure;

/// <summary>Runs a command to completion within a time limit, capturing what it prints.</summary>
public static class ProcessRunner
{
    public sealed record Result(int ExitCode, byte[] Output, string Error)
    {
        public string Text => System.Text.Encoding.UTF8.GetString(Output);
    }

    /// <exception cref="TimeoutException">The command did not finish within <paramref name="timeout"/> (it is killed).</exception>
    public static async Task<Result> RunAsync(
        string fileName, IEnumerable<string> arguments, TimeSpan timeout, string? workingDirectory = null, IDictionary<string, string>? environment = null)
    {
        var startInfo = new ProcessStartInfo(fileName, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? "",
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[name] = value;
        }

        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"'{fileName}' did not start.");
        using var cancel = new CancellationTokenSource(timeout);
        using var output = new MemoryStream();
        var copyOutput = process.StandardOutput.BaseStream.CopyToAsync(output, cancel.Token);
        var error = process.StandardError.ReadToEndAsync(cancel.Token);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
            await copyOutput;
            return new Result(process.ExitCode, output.ToArray(), await error);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"'{fileName} {string.Join(' ', arguments)}' did not finish within {timeout}.");
        }
    }
}

using System.Collections.Concurrent;

namespace Books.Tests.Infrastructure;

/// <summary>
/// The built books-api (Books.Api.dll) in a process of its own, started as a service manager starts it: a command, a
/// working directory and an environment, nothing of the test host. Collects everything it prints; disposing kills it.
/// </summary>
public sealed class BuiltBooksApi : IAsyncDisposable
{
    private readonly Process _process;

    private BuiltBooksApi(Process process, ConcurrentQueue<string> output) => (_process, Output) = (process, output);

    /// <summary>Where it listens (it binds 127.0.0.1 on a port of its own choosing).</summary>
    public Uri Address { get; private set; } = new("http://127.0.0.1:1");

    /// <summary>Every line it printed so far, standard output and error.</summary>
    public ConcurrentQueue<string> Output { get; }

    public bool HasExited => _process.HasExited;

    public static string Dll => Path.Combine(BooksApiBuild.Directory, "Books.Api.dll");

    /// <summary>
    /// Starts <paramref name="fileName"/> with <paramref name="arguments"/> (default: <c>dotnet Books.Api.dll</c>) and waits
    /// until it says where it listens (one minute at most).
    /// </summary>
    public static async Task<BuiltBooksApi> StartAsync(IReadOnlyDictionary<string, string> environment, string workingDirectory,
        CancellationToken cancellationToken, string fileName = "dotnet", IEnumerable<string>? arguments = null)
    {
        var startInfo = new ProcessStartInfo(fileName, arguments ?? [Dll])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        startInfo.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        foreach (var (name, value) in environment)
        {
            startInfo.Environment[name] = value;
        }

        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new ConcurrentQueue<string>();
        var process = new Process { StartInfo = startInfo };
        DataReceivedEventHandler collect = (_, e) =>
        {
            if (e.Data is not { } line)
            {
                return;
            }

            output.Enqueue(line);
            if (line.Contains("Now listening on: ", StringComparison.Ordinal))
            {
                listening.TrySetResult(new Uri(line[(line.IndexOf("Now listening on: ", StringComparison.Ordinal) + 18)..].Trim()));
            }
        };
        process.OutputDataReceived += collect;
        process.ErrorDataReceived += collect;
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var api = new BuiltBooksApi(process, output);
        try
        {
            api.Address = await listening.Task.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
            return api;
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            await api.DisposeAsync();
            throw new TimeoutException($"books-api did not say where it listens within 60 s:\n{string.Join('\n', output)}", ex);
        }
    }

    public HttpClient CreateClient() => new() { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(10) };

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None);
        _process.Dispose();
    }
}

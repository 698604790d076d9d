using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;

namespace Books.Bench;

/// <summary>
/// The bare app (bench/Books.Bench.Bare, built with this bench) as its own process, on a free local port,
/// reading the same MongoDB through the same connection string as books-api.
/// </summary>
internal sealed class BareServer : IAsyncDisposable
{
    private BareServer(Process process, Uri address)
    {
        Process = process;
        Address = address;
    }

    public Process Process { get; }
    public Uri Address { get; }

    public static async Task<BareServer> StartAsync(string connectionString, CancellationToken cancellationToken)
    {
        var path = typeof(BareServer).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "BarePath").Value!;
        if (!File.Exists(path))
        {
            throw new FileNotFoundException("The bare app is not built; build the bench (dotnet run builds it).", path);
        }

        var address = new Uri($"http://127.0.0.1:{FreePort()}");
        var startInfo = new ProcessStartInfo("dotnet", ["exec", path])
        {
            WorkingDirectory = Path.GetDirectoryName(path)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment =
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["ASPNETCORE_URLS"] = address.ToString(),
                ["ConnectionStrings__booksdb"] = connectionString,
            },
        };
        var process = Process.Start(startInfo)!;
        // Kept so that a failed start can say why; the pipes are drained either way.
        var errors = new ConcurrentQueue<string>();
        process.ErrorDataReceived += (_, line) => { if (line.Data is { } data) { errors.Enqueue(data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new BareServer(process, address);
        try
        {
            using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(2) };
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (process.HasExited)
                {
                    throw new InvalidOperationException(
                        $"The bare app exited with code {process.ExitCode} before answering:{Environment.NewLine}{string.Join(Environment.NewLine, errors.TakeLast(20))}");
                }

                try
                {
                    using var response = await http.GetAsync("/alive", cancellationToken);
                    if (response.IsSuccessStatusCode)
                    {
                        return server;
                    }
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }

                await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
            }
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
            await Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }

        Process.Dispose();
    }
}

using System.ComponentModel;
using System.Diagnostics;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aspire.Hosting.MongoDB;

/// <summary>
/// Says plainly, at startup, when the MongoDB container cannot run because no container runtime
/// answers, instead of leaving the resource waiting with no explanation.
/// </summary>
internal static class ContainerRuntimeProbe
{
    private static readonly TimeSpan s_probeTimeout = TimeSpan.FromSeconds(10);

    public static void WarnWhenMissing(IDistributedApplicationBuilder builder, IResource server)
    {
        var runtime = builder.Configuration["ASPIRE_CONTAINER_RUNTIME"]
            ?? builder.Configuration["DOTNET_ASPIRE_CONTAINER_RUNTIME"]
            ?? "docker";

        builder.Eventing.Subscribe<BeforeStartEvent>((@event, cancellationToken) =>
        {
            var services = @event.Services;
            _ = Task.Run(async () =>
            {
                if (await ProbeAsync(runtime, cancellationToken).ConfigureAwait(false) is not { } failure)
                {
                    return;
                }

                var message =
                    $"MongoDB resource '{server.Name}' runs in a container, but no container runtime answered " +
                    $"('{runtime} info' {failure}). Either start Docker or Podman, or set {MongoDBBuilderExtensions.MongodPathKey} " +
                    "to a local mongod executable to run MongoDB as a process instead.";
                services.GetRequiredService<ILoggerFactory>().CreateLogger("Books.AppHost.MongoDB").LogWarning("{Message}", message);
                services.GetRequiredService<ResourceLoggerService>().GetLogger(server).LogWarning("{Message}", message);
            }, cancellationToken);
            return Task.CompletedTask;
        });
    }

    /// <returns>Why the runtime did not answer, or <see langword="null"/> when it did.</returns>
    internal static async Task<string?> ProbeAsync(string runtime, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(runtime, "info")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };

        try
        {
            using var process = Process.Start(startInfo);
            if (process is null)
            {
                return "could not be started";
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(s_probeTimeout);
            var drainOutput = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var drainError = process.StandardError.ReadToEndAsync(timeout.Token);
            try
            {
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
                await Task.WhenAll(drainOutput, drainError).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                process.Kill(entireProcessTree: true);
                return $"gave no answer within {s_probeTimeout.TotalSeconds:0} s";
            }

            return process.ExitCode == 0 ? null : $"exited with code {process.ExitCode}";
        }
        catch (Win32Exception)
        {
            return "could not be run: the command is not installed";
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }
}

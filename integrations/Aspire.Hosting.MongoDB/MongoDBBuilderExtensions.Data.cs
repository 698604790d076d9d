using System.Text.RegularExpressions;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.MongoDB;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Aspire.Hosting;

/// <summary>Where MongoDB keeps its data, and the scripts that seed it.</summary>
public static partial class MongoDBBuilderExtensions
{
    /// <summary>
    /// Keeps the data in a named volume mounted at <c>/data/db</c>; a local mongod keeps it in a
    /// per-user directory of that name instead.
    /// </summary>
    public static IResourceBuilder<IMongoDBServerResource> WithDataVolume(
        this IResourceBuilder<IMongoDBServerResource> builder, string? name = null, bool isReadOnly = false)
    {
        ArgumentNullException.ThrowIfNull(builder);

        name ??= DefaultVolumeName(builder.ApplicationBuilder, builder.Resource.Name);
        switch (builder.Resource)
        {
            case MongoDBServerResource container:
                builder.ApplicationBuilder.CreateResourceBuilder(container).WithVolume(name, DataTargetPath, isReadOnly);
                break;
            case MongoDBExecutableResource mongod when !HasConfiguredDataPath(builder.ApplicationBuilder):
                mongod.DataDirectory = Path.Combine(PerUserDataRoot(), "volumes", name);
                break;
        }

        return builder;
    }

    /// <summary>
    /// Keeps the data in a host directory mounted at <c>/data/db</c>; a local mongod uses that
    /// directory as its <c>--dbpath</c>. A configured <c>MONGOD_DATA_PATH</c> still wins.
    /// </summary>
    public static IResourceBuilder<IMongoDBServerResource> WithDataBindMount(
        this IResourceBuilder<IMongoDBServerResource> builder, string source, bool isReadOnly = false)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(source);

        var fullPath = Path.GetFullPath(source, builder.ApplicationBuilder.AppHostDirectory);
        switch (builder.Resource)
        {
            case MongoDBServerResource container:
                builder.ApplicationBuilder.CreateResourceBuilder(container).WithBindMount(fullPath, DataTargetPath, isReadOnly);
                break;
            case MongoDBExecutableResource mongod when !HasConfiguredDataPath(builder.ApplicationBuilder):
                mongod.DataDirectory = fullPath;
                break;
        }

        return builder;
    }

    /// <summary>
    /// Copies the <c>.js</c> and <c>.sh</c> scripts of <paramref name="source"/> into
    /// <c>/docker-entrypoint-initdb.d</c>, which the mongo image runs once, when the data directory is
    /// first initialised. A local mongod has no such hook: the resource's log says so instead.
    /// </summary>
    public static IResourceBuilder<IMongoDBServerResource> WithInitFiles(
        this IResourceBuilder<IMongoDBServerResource> builder, string source)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(source);

        var fullPath = Path.GetFullPath(source, builder.ApplicationBuilder.AppHostDirectory);
        switch (builder.Resource)
        {
            case MongoDBServerResource container:
                builder.ApplicationBuilder.CreateResourceBuilder(container).WithContainerFiles(InitFilesTargetPath, fullPath);
                break;
            case MongoDBExecutableResource mongod:
                builder.ApplicationBuilder.Eventing.Subscribe<BeforeResourceStartedEvent>(mongod, (@event, _) =>
                {
                    @event.Services.GetRequiredService<ResourceLoggerService>().GetLogger(mongod).LogWarning(
                        "Init files in '{Source}' are not run: only the mongo container image runs scripts at first start. " +
                        "Run them with mongosh against this server if the data needs them.", fullPath);
                    return Task.CompletedTask;
                });
                break;
        }

        return builder;
    }

    private static string DefaultVolumeName(IDistributedApplicationBuilder builder, string resourceName) =>
        $"{SanitizeName(builder.Environment.ApplicationName)}-{resourceName}-data";

    private static string SanitizeName(string name) => InvalidNameCharacters().Replace(name.ToLowerInvariant(), "-");

    [GeneratedRegex("[^a-z0-9_.-]")]
    private static partial Regex InvalidNameCharacters();
}

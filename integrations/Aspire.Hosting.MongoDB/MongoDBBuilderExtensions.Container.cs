using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting;

// The container calls the official docs show on what AddMongoDB returns. The official package types them on
// IResourceBuilder<MongoDBServerResource>; here AddMongoDB returns the server whichever way it runs, so these
// overloads pass each call to the container, and stop the AppHost when MongoDB runs as a local mongod, where
// the call cannot mean anything.
public static partial class MongoDBBuilderExtensions
{
    /// <summary>Sets the container's lifetime (<see cref="ContainerLifetime.Persistent"/> keeps it running between AppHost runs).</summary>
    /// <exception cref="DistributedApplicationException">MongoDB runs as a local mongod.</exception>
    public static IResourceBuilder<IMongoDBServerResource> WithLifetime(
        this IResourceBuilder<IMongoDBServerResource> builder, ContainerLifetime lifetime) =>
        builder.ForContainer(nameof(WithLifetime), container => container.WithLifetime(lifetime));

    /// <summary>Sets the tag of the <c>mongo</c> image.</summary>
    /// <exception cref="DistributedApplicationException">MongoDB runs as a local mongod.</exception>
    public static IResourceBuilder<IMongoDBServerResource> WithImageTag(
        this IResourceBuilder<IMongoDBServerResource> builder, string tag) =>
        builder.ForContainer(nameof(WithImageTag), container => container.WithImageTag(tag));

    /// <summary>Sets the image (and optionally its tag) the container runs.</summary>
    /// <exception cref="DistributedApplicationException">MongoDB runs as a local mongod.</exception>
    public static IResourceBuilder<IMongoDBServerResource> WithImage(
        this IResourceBuilder<IMongoDBServerResource> builder, string image, string? tag = null) =>
        builder.ForContainer(nameof(WithImage), container => container.WithImage(image, tag));

    /// <summary>Sets the registry the image is pulled from.</summary>
    /// <exception cref="DistributedApplicationException">MongoDB runs as a local mongod.</exception>
    public static IResourceBuilder<IMongoDBServerResource> WithImageRegistry(
        this IResourceBuilder<IMongoDBServerResource> builder, string? registry) =>
        builder.ForContainer(nameof(WithImageRegistry), container => container.WithImageRegistry(registry));

    /// <summary>Names the container in the container engine.</summary>
    /// <exception cref="DistributedApplicationException">MongoDB runs as a local mongod.</exception>
    public static IResourceBuilder<IMongoDBServerResource> WithContainerName(
        this IResourceBuilder<IMongoDBServerResource> builder, string name) =>
        builder.ForContainer(nameof(WithContainerName), container => container.WithContainerName(name));

    private static IResourceBuilder<IMongoDBServerResource> ForContainer(
        this IResourceBuilder<IMongoDBServerResource> builder, string call, Action<IResourceBuilder<MongoDBServerResource>> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder.Resource is not MongoDBServerResource container)
        {
            throw new DistributedApplicationException(
                $"{call}() configures a container, but MongoDB resource '{builder.Resource.Name}' runs as a local mongod " +
                $"because {MongodPathKey} is set. Unset {MongodPathKey} to run MongoDB in a container, or call {call}() " +
                $"only when the resource is a {nameof(MongoDBServerResource)}.");
        }

        configure(builder.ApplicationBuilder.CreateResourceBuilder(container));
        return builder;
    }
}

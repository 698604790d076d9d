namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// A MongoDB server, whichever way it runs: a <c>mongo</c> container (<see cref="MongoDBServerResource"/>)
/// or a local <c>mongod</c> process (<see cref="MongoDBExecutableResource"/>). Databases, references
/// and health checks work the same on both.
/// </summary>
public interface IMongoDBServerResource
    : IResourceWithConnectionString, IResourceWithEndpoints, IResourceWithWaitSupport, IResourceWithEnvironment, IResourceWithArgs
{
    /// <summary>The <c>tcp</c> endpoint MongoDB listens on.</summary>
    EndpointReference PrimaryEndpoint { get; }

    /// <summary>The host of <see cref="PrimaryEndpoint"/>.</summary>
    EndpointReferenceExpression Host { get; }

    /// <summary>The port of <see cref="PrimaryEndpoint"/>.</summary>
    EndpointReferenceExpression Port { get; }

    /// <summary>The <c>mongodb://</c> URL of the server (the connection string).</summary>
    ReferenceExpression UriExpression { get; }

    /// <summary>The user name parameter, or <see langword="null"/> for the default (<c>admin</c>) or no authentication.</summary>
    ParameterResource? UserNameParameter { get; }

    /// <summary>The password parameter, or <see langword="null"/> when the server runs without authentication.</summary>
    ParameterResource? PasswordParameter { get; }

    /// <summary>Resource name to database name, for every database added with <c>AddDatabase</c>.</summary>
    IReadOnlyDictionary<string, string> Databases { get; }

    /// <summary>The single-member replica set this server forms (see <c>WithReplicaSet</c>), or <see langword="null"/>.</summary>
    string? ReplicaSetName => Connection.ReplicaSetName;

    /// <summary>The connection contract shared by both server kinds.</summary>
    internal MongoDBServerConnection Connection { get; }
}

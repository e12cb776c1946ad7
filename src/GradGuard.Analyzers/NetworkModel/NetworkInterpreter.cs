using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace GradGuard.Analyzers.NetworkModel
{
    /// <summary>
    /// Recovers networks by running the code that builds them in the abstract: which modules go into which
    /// containers, how <c>forward</c> routes a tensor through them, and which init calls reach which weights.
    /// Constants are followed where the source makes them known (loop bounds, stage tables, constructor arguments,
    /// flags); where it does not, both branches run as alternatives. Everything is bounded (steps, call depth, loop
    /// counts) so half-typed code and recursion cannot hang or throw, and a unit that runs out of steps reports nothing.
    /// </summary>
    internal sealed partial class NetworkInterpreter
    {
        private const int MaxCallDepth = 12;
        private const int MaxSteps = 200_000;
        private const long MaxLoopCount = 1_000_000;

        /// <summary>Loops that read their counter run step by step up to this many iterations; longer ones are folded.</summary>
        private const int MaxUnrolled = 64;

        private const int MaxElementsIterated = 1_000;

        private readonly TorchSymbols torch;
        private readonly OperationBodies bodies;
        private readonly CancellationToken cancellationToken;
        private readonly HashSet<ISymbol> running = new(SymbolEqualityComparer.Default);
        private readonly HashSet<ISymbol> reached = new(SymbolEqualityComparer.Default);
        private readonly List<ModuleValue> builtOutsideModules = new();
        private readonly Dictionary<ISymbol, Value?> statics = new(SymbolEqualityComparer.Default);
        private readonly Dictionary<InstanceKey, ModuleValue> instances = new();
        private int callDepth;
        private int instantiationDepth;
        private int steps;

        private NetworkInterpreter(TorchSymbols torch, OperationBodies bodies, CancellationToken cancellationToken)
        {
            this.torch = torch;
            this.bodies = bodies;
            this.cancellationToken = cancellationToken;
        }

        private bool Exhausted => steps > MaxSteps;

        /// <summary>
        /// Runs one unit as the outermost code: a module class built with its constructor's default arguments, or a
        /// member (a method, constructor, initialiser, top-level statements) with its parameters unknown. Returns the
        /// networks it builds and the classes and methods it reached on the way.
        /// </summary>
        public static UnitInterpretation Interpret(NetworkUnit unit, TorchSymbols torch, OperationBodies bodies, CancellationToken cancellationToken)
        {
            var interpreter = new NetworkInterpreter(torch, bodies, cancellationToken);
            var networks = (unit.Symbol is INamedTypeSymbol type ? interpreter.NetworkOfClass(type) : interpreter.NetworksBuiltBy(unit)).ToImmutableArray();
            interpreter.reached.Remove(unit.Symbol);
            return new UnitInterpretation(unit, interpreter.Exhausted ? ImmutableArray<Network>.Empty : networks, interpreter.reached);
        }

        private IEnumerable<Network> NetworkOfClass(INamedTypeSymbol type)
        {
            // Read once: each read of InstanceConstructors makes the list afresh.
            var constructors = type.InstanceConstructors;
            var constructor = constructors.FirstOrDefault(c => !c.IsImplicitlyDeclared) ?? constructors.FirstOrDefault();
            var instance = Instantiate(type, constructor, Arguments.None);
            return instance is not null && ClassLocation(type) is { } location
                ? new[] { new Network(type.Name, location, instance.Nodes.ToImmutableArray()) }
                : Enumerable.Empty<Network>();
        }

        private IEnumerable<Network> NetworksBuiltBy(NetworkUnit unit)
        {
            var body = bodies.Of(unit.Declaration!, cancellationToken);
            var instance = unit.Symbol.IsStatic ? null : new ObjectValue();
            var frame = new Frame(FieldsOf(instance), instance);
            if (unit.Symbol is IMethodSymbol method)
            {
                BindParameters(frame, method.Parameters, Arguments.None);
            }

            if (body is ISymbolInitializerOperation initializer)
            {
                Eval(initializer.Value, frame);
            }
            else
            {
                RunBody(unit.Symbol, body, frame);
            }

            var networks = new List<Network>();
            foreach (var module in builtOutsideModules.Where(m => !m.IsNested))
            {
                if (module.Type is { } type && ClassLocation(type) is { } location)
                {
                    networks.Add(new Network(type.Name, location, module.Nodes.ToImmutableArray()));
                }
                else if (module.BuiltBySequential?.Syntax is InvocationExpressionSyntax call)
                {
                    networks.Add(new Network("Sequential", call.Expression.GetLocation(), module.Nodes.ToImmutableArray()));
                }
            }

            return networks;
        }

        private Location? ClassLocation(INamedTypeSymbol type) =>
            type.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken) is BaseTypeDeclarationSyntax declaration
                ? declaration.Identifier.GetLocation()
                : null;

        private bool Tick()
        {
            cancellationToken.ThrowIfCancellationRequested();
            return ++steps <= MaxSteps;
        }

        /// <summary>Runs a method, constructor or lambda body in a frame, unless it is already running or calls are too deep.</summary>
        [MethodImpl(HotPaths.Optimized)]
        private void RunBody(ISymbol owner, IOperation? body, Frame frame)
        {
            reached.Add(owner);
            if (body is null || callDepth >= MaxCallDepth || !running.Add(owner))
            {
                return;
            }

            callDepth++;
            try
            {
                Execute(body, frame);
            }
            finally
            {
                callDepth--;
                running.Remove(owner);
            }
        }

        /// <summary>
        /// Builds an instance of a custom module class: field initialisers, the constructor chain, then <c>forward</c>
        /// with an input of its own, whose path becomes the instance's nodes. The same constructor given the same
        /// arguments gives the same instance: its nodes are shared, which every measure over paths takes in its stride.
        /// </summary>
        [MethodImpl(HotPaths.Optimized)]
        private ModuleValue? Instantiate(INamedTypeSymbol type, IMethodSymbol? constructor, Arguments arguments)
        {
            type = type.OriginalDefinition;
            reached.Add(type);
            var key = InstanceKey.For(type, constructor, arguments);
            if (instances.TryGetValue(key, out var built))
            {
                return built;
            }

            if (callDepth >= MaxCallDepth || !running.Add(type))
            {
                return null;
            }

            callDepth++;
            instantiationDepth++;
            try
            {
                var instance = ModuleValue.InstanceOf(type);
                var frame = new Frame(instance.Fields!, instance);
                RunInitializersFromBase(type, frame);

                if (constructor is not null)
                {
                    RunConstructor(constructor.OriginalDefinition, arguments, instance);
                }

                if (FindForward(type) is { } forward)
                {
                    var forwardFrame = new Frame(instance.Fields!, instance);
                    foreach (var parameter in forward.Parameters)
                    {
                        if (torch.IsTensor(parameter.Type))
                        {
                            forwardFrame.Locals[parameter] = TensorValue.Input;
                        }
                    }

                    RunBody(forward, bodies.Of(forward, cancellationToken), forwardFrame);
                    if (Output(Join(forwardFrame.Returns)) is { } output)
                    {
                        instance.Nodes.AddRange(output.Path);
                    }
                }

                instances[key] = instance;
                return instance;
            }
            finally
            {
                instantiationDepth--;
                callDepth--;
                running.Remove(type);
            }
        }

        /// <summary>A forward's result as one path: a tensor, or several (a tuple, a list of feature maps) taken in parallel.</summary>
        private static TensorValue? Output(Value? returned) => returned switch
        {
            TensorValue tensor => tensor,
            TupleValue tuple => Merge(tuple.Elements.OfType<TensorValue>().ToList(), JoinKind.Parallel),
            SequenceValue list => Merge(list.Elements.OfType<TensorValue>().ToList(), JoinKind.Parallel),
            _ => null,
        };

        /// <summary>A constructor's body after the constructors it chains to with <c>: base(...)</c> or <c>: this(...)</c>.</summary>
        [MethodImpl(HotPaths.Optimized)]
        private void RunConstructor(IMethodSymbol constructor, Arguments arguments, Value instance)
        {
            if (callDepth >= MaxCallDepth)
            {
                return;
            }

            callDepth++;
            try
            {
                var frame = new Frame(FieldsOf(instance), instance);
                BindParameters(frame, constructor.Parameters, arguments);
                var body = bodies.Of(constructor, cancellationToken);
                if (body is IConstructorBodyOperation { Initializer: IExpressionStatementOperation { Operation: IInvocationOperation { TargetMethod.DeclaringSyntaxReferences.IsEmpty: false } chained } })
                {
                    RunConstructor(chained.TargetMethod.OriginalDefinition, ArgumentsOf(chained.Arguments, chained.TargetMethod, frame), instance);
                }

                RunBody(constructor, body, frame);
            }
            finally
            {
                callDepth--;
            }
        }

        private static Dictionary<ISymbol, Value> FieldsOf(Value? instance) => instance switch
        {
            ModuleValue { Fields: { } fields } => fields,
            ObjectValue other => other.Fields,
            _ => new Dictionary<ISymbol, Value>(SymbolEqualityComparer.Default),
        };

        private IMethodSymbol? FindForward(INamedTypeSymbol type)
        {
            for (var current = type; current is not null && !torch.IsTorchSharp(current); current = current.BaseType)
            {
                foreach (var member in current.GetMembers("forward"))
                {
                    if (member is IMethodSymbol { IsAbstract: false, Parameters.Length: > 0 } forward && torch.IsTensor(forward.Parameters[0].Type))
                    {
                        return forward;
                    }
                }
            }

            return null;
        }

        /// <summary>
        /// The field initialisers of a class and of the classes of the compilation it derives from, the base's first as
        /// C# runs them; recursive rather than a stack of the chain, which building every instance would allocate.
        /// </summary>
        private void RunInitializersFromBase(INamedTypeSymbol type, Frame instance)
        {
            if (torch.IsTorchSharp(type) || type.DeclaringSyntaxReferences.IsEmpty)
            {
                return;
            }

            if (type.BaseType is { } baseType)
            {
                RunInitializersFromBase(baseType, instance);
            }

            RunInitializers(type.OriginalDefinition, instance);
        }

        /// <summary>Field initialisers, and C#'s defaults for fields without one: null, zero, false.</summary>
        [MethodImpl(HotPaths.Optimized)]
        private void RunInitializers(INamedTypeSymbol type, Frame instance)
        {
            foreach (var member in bodies.InstanceMembersOf(type, cancellationToken))
            {
                var value = member.Initializer is { } initializer ? Eval(initializer.Value, instance) : DefaultValue(member.Symbol);
                if (value is not null)
                {
                    instance.Fields[member.Symbol] = value;
                }
            }
        }

        private static Value? DefaultValue(ISymbol member)
        {
            var type = member switch
            {
                IFieldSymbol { AssociatedSymbol: null } field => field.Type,
                IPropertySymbol { IsIndexer: false, GetMethod: not null, SetMethod: null or { } } property when property.DeclaringSyntaxReferences.All(r => r.GetSyntax() is PropertyDeclarationSyntax { ExpressionBody: null } p && p.AccessorList?.Accessors.All(a => a.Body is null && a.ExpressionBody is null) == true) => property.Type,
                _ => null,
            };
            return type switch
            {
                null => null,
                { IsReferenceType: true } or { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } => ConstantValue.Null,
                { SpecialType: SpecialType.System_Boolean } => ConstantValue.False,
                { SpecialType: SpecialType.System_Int32 or SpecialType.System_Int64 or SpecialType.System_Int16 or SpecialType.System_Byte } => ConstantValue.Of(0L),
                { SpecialType: SpecialType.System_Double or SpecialType.System_Single } => ConstantValue.Of(0.0),
                _ => null,
            };
        }

        private void BindParameters(Frame frame, ImmutableArray<IParameterSymbol> parameters, Arguments arguments)
        {
            foreach (var parameter in parameters)
            {
                if (arguments[parameter] is { } value)
                {
                    frame.Locals[parameter] = value;
                }
                else if (parameter.HasExplicitDefaultValue && ConstantFolding.From(parameter.ExplicitDefaultValue) is { } constant)
                {
                    frame.Locals[parameter] = constant;
                }
            }
        }

        /// <summary>Evaluates a call's arguments, in the order they are written, into the parameters' positions.</summary>
        [MethodImpl(HotPaths.Optimized)]
        private Arguments ArgumentsOf(ImmutableArray<IArgumentOperation> arguments, IMethodSymbol? method, Frame frame)
        {
            var values = new Value?[method?.Parameters.Length ?? 0];
            foreach (var argument in arguments)
            {
                var value = EvalArgument(argument, frame);
                if (argument.Parameter is { } parameter && parameter.Ordinal < values.Length)
                {
                    values[parameter.Ordinal] = value;
                }
            }

            // Calls to methods without parameters (RegisterComponents, modules()) share the one empty list.
            return values.Length == 0 ? Arguments.None : new Arguments(values);
        }

        /// <summary>
        /// An argument's value. The defaults a call leaves out (TorchSharp's factories leave many: bias, stride, device,
        /// dtype) are a quarter of the arguments the interpreter meets; a constant one is read as it is, without a step
        /// of <see cref="Eval"/>, which would read the same constant after its dispatch.
        /// </summary>
        [MethodImpl(HotPaths.Optimized)]
        private Value? EvalArgument(IArgumentOperation argument, Frame frame)
        {
            var value = argument.Value;
            if (argument.ArgumentKind == ArgumentKind.DefaultValue && ConstantFolding.From(value.ConstantValue) is { } constant)
            {
                return constant;
            }

            return Eval(value, frame);
        }
    }
}

import time, numpy as np
from numerics.rk import _rk_step, get_tableau, solve, _error_norm
from numerics.kernels import chain_field_c, chain_params, chain_field_p
m=50; p=chain_params((m,m)); n=2600
A,B,C,E,E3,P,D,ns,eo,kind=get_tableau("DOP853").as_tuple()
y=np.random.default_rng(0).standard_normal(n)*0.05
K=np.empty((16,n)); yn=np.empty(n); yt=np.empty(n)
chain_field_p(y,K[0],p)
_rk_step(chain_field_c,p,0.0,y,0.01,A,B,C,ns,K,yn,yt)
t=time.perf_counter()
for _ in range(2000): _rk_step(chain_field_c,p,0.0,y,0.01,A,B,C,ns,K,yn,yt)
print('step us',(time.perf_counter()-t)/2000*1e6)
out=np.empty(n)
t=time.perf_counter()
for _ in range(20000): chain_field_p(y,out,p)
print('field us',(time.perf_counter()-t)/20000*1e6)
sc=np.ones(n); w=np.empty(n); w3=np.empty(n)
_error_norm(K,0.01,E,E3,kind,sc,ns,w,w3)
t=time.perf_counter()
for _ in range(20000): _error_norm(K,0.01,E,E3,kind,sc,ns,w,w3)
print('err us',(time.perf_counter()-t)/20000*1e6)
for fs in [0.0]:
  r=solve(chain_field_c,p,y,0.3)
  t=time.perf_counter()
  for _ in range(20): r=solve(chain_field_c,p,y,0.3)
  print('solve ms',(time.perf_counter()-t)/20*1e3, r.n_accepted, r.nfev)
